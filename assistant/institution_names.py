"""Whether an institution's name the bridge half-translated is in the passages after all.

An English question's multi-word proper name whose words the index lacks is taken as absent
(:func:`assistant.retrieval.absent_name_words`), and the question is refused. For an
institution named by ordinary words ("World Food Programme") the lexicon translates some of
them ("world", "food") and not the head ("Programme"), which is then judged as a name and
found nowhere, although the passage says «برنامج الأغذية العالمي».

Here such a word is set aside when the name's translated words, at least ``MIN_TRANSLATED``
of them, all occur in one candidate sentence: the institution is named there in Arabic
words, its untranslated head among them. One translated word is not enough ("World Bank":
العالم is in many sentences that name no bank).
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.arabic import analyse

MIN_TRANSLATED = 2


def unfound_words(
    question: str, absent: list[str], lexicon_words: frozenset[str], texts: Iterable[str]
) -> list[str]:
    """The words of ``absent`` (judged absent from the index) that are not the untranslated
    part of an institution's name named in one of ``texts`` (see module doc).

    ``lexicon_words``: the question's words the lexicon translated (lowercase)."""
    if not absent:
        return absent
    from assistant.retrieval import capitalised_runs

    sentence_terms = [set(analyse(text)) for text in texts]
    named: set[str] = set()
    for run in capitalised_runs(question):
        if any(word in absent for word in run) and _named_in(run, lexicon_words, sentence_terms):
            named.update(run)
    return [word for word in absent if word not in named]


def _named_in(
    run: list[str], lexicon_words: frozenset[str], sentence_terms: list[set[str]]
) -> bool:
    """True when at least ``MIN_TRANSLATED`` words of ``run`` are translated and one sentence
    holds a term of each (``sentence_terms``: each sentence's analysed terms)."""
    from assistant.bridge import bridge_query

    translated = [word for word in run if word.lower() in lexicon_words]
    if len(translated) < MIN_TRANSLATED:
        return False
    wanted = [
        set(analyse(" ".join(bridge_query(word, language="en").arabic_terms)))
        for word in translated
    ]
    return any(all(terms & found for terms in wanted) for found in sentence_terms)
