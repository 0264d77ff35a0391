"""Whether the model read anything in an English question of which the lexicon knows no word.

An English question whose content words the bridge translates none of ("asdfgh", "Tell me
about quantum computing", but also "How many direct jobs will the fish farm provide?") has
no topic slot the passages could fill; the multilingual model is its only reader, and its
coverage counts as full (``QueryAnalysis.coverage``), so whatever the model ranks first was
quoted. For a question the articles answer, the model's closest sentence stands out from
the other candidate sentences; for words nothing in the articles is about, every sentence is
about as close as any other. So such a question is refused when its closest sentence is
less than ``MIN_PROMINENCE`` more similar to it than the candidates are on average (a
relative use of the model's similarities, not a threshold on raw cosine, which does not
separate here).

Measured on all development sets and stress_en (19 such questions): the answerable ones'
prominence is 0.028 to 0.081; gibberish and off-topic questions over the bundled articles
0.007 to 0.023. A question with any word the lexicon translates, or a name it
transliterates, has a slot and is not judged here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.retrieval import QueryAnalysis

MIN_PROMINENCE = 0.025  # top similarity minus the candidates' mean, below which nothing was read

SentenceSimilarity = Callable[[list[str]], Sequence[float]]


def reads_nothing(
    analysis: QueryAnalysis, texts: list[str], dense: SentenceSimilarity | None
) -> bool:
    """True when ``analysis`` is an English question with no slot and no named speaker, only
    words the lexicon lacks, and the model's closest of the candidate sentences ``texts``
    does not stand out (module doc); False whenever any of that does not hold.

    >>> question = QueryAnalysis("asdfgh", "en", "", [], untranslated=["asdfgh"])
    >>> question.dense_reads_words = True
    >>> reads_nothing(question, ["a", "b", "c"], lambda t: [0.77, 0.76, 0.75])
    True
    >>> reads_nothing(question, ["a", "b", "c"], lambda t: [0.82, 0.74, 0.75])
    False
    """
    if (
        analysis.language != "en"
        or analysis.slots
        or analysis.speakers
        or not analysis.untranslated
    ):
        return False
    if dense is None or not analysis.dense_reads_words or len(texts) < 2:
        return False
    similarity = list(dense(texts))
    return max(similarity) - sum(similarity) / len(similarity) < MIN_PROMINENCE
