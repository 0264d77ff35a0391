"""Hybrid bilingual retrieval: analyse the question, search Chroma and BM25, fuse, re-rank.

Steps for one question:

1. *Analyse*: detect its language; normalise Arabic exactly as the index does; for an
   English question, bridge it to Arabic terms (lexicon + transliteration, no weights;
   plus an LLM translation when one is configured and passed in).
2. *Search*: dense (the embedder; for the weight-free hashing embedder an English
   question is embedded through its Arabic bridge, since hashed English n-grams match
   nothing) and BM25 over analysed terms, ``CANDIDATES`` each.
3. *Fuse* with reciprocal rank fusion (ranks, not raw scores, so the two scales need no
   calibration), deduplicate by chunk id, and keep the scores.
4. *Speaker attribution*: for "what did X say", add a bonus to chunks where X (or X's
   title, in an article naming X) is the subject of a speech verb.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.arabic import analyse, detect_language, normalize
from assistant.index import Index
from assistant.models import Retrieved, Span
from assistant.speakers import Speaker, asks_for_statement, speaker_score, speakers_in_question
from assistant.splitter import sentence_spans

CANDIDATES = 30
RRF_K = 60
SPEAKER_BONUS = 1.0 / (RRF_K + 1)
WEIGHTS = {"dense": 1.0, "bm25": 1.0}


# Words that shape a question but carry no topic (analysed forms): not counted as topic.
QUESTION_WORDS = set(
    analyse(
        "ماذا ما هل متى أين كيف لماذا من عن في على إلى الى مع قال قالت يقول أكد ذكر بحسب ماهي ما هو "
        "وما ماذا كان كانت التي الذي تم وفق حول بشأن خلال لخص اذكر اشرح تحدث تحدثت أي"
    )
)


@dataclass
class QueryAnalysis:
    """What retrieval knows about a question."""

    question: str
    language: str
    arabic_text: str
    terms: list[str]
    speakers: list[Speaker] = field(default_factory=list)
    wants_statement: bool = False
    bridged: list[str] = field(default_factory=list)

    @property
    def name_terms(self) -> set[str]:
        """Analysed tokens of the named speakers' Arabic names (one entity, many tokens)."""
        return {t for s in self.speakers for form in s.arabic for t in analyse(form)}

    @property
    def topic_terms(self) -> set[str]:
        """What the question is about: its terms minus question words and speaker names."""
        return {
            t for t in self.terms
            if t not in QUESTION_WORDS and t not in self.name_terms and (not t.isdigit() or len(t) == 4)
        }  # fmt: skip


def analyse_query(
    question: str, vocabulary: frozenset[str] = frozenset(), translation: str = ""
) -> QueryAnalysis:
    """Language, Arabic query text and BM25 terms of ``question`` (see module doc)."""
    language = detect_language(question)
    bridged: list[str] = []
    if language == "en":
        from assistant.bridge import bridge_query

        result = bridge_query(question, vocabulary or None)
        bridged = list(result.arabic_terms)
        arabic_text = " ".join([translation, result.text]).strip()
    else:
        arabic_text = " ".join([question, translation]).strip()
    terms = analyse(arabic_text)
    return QueryAnalysis(
        question=question,
        language=language,
        arabic_text=arabic_text,
        terms=terms,
        speakers=speakers_in_question(question),
        wants_statement=asks_for_statement(question),
        bridged=bridged,
    )


def rrf(
    rankings: dict[str, list[str]], weights: dict[str, float] | None = None
) -> dict[str, float]:
    """Reciprocal rank fusion of several rankings of ids: ``sum w / (RRF_K + rank)``.

    >>> sorted(rrf({"a": ["x", "y"], "b": ["y"]}).items())
    [('x', 0.01639344262295082), ('y', 0.03252247488101534)]
    """
    fused: dict[str, float] = {}
    for name, ids in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, chunk_id in enumerate(dict.fromkeys(ids), start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank)
    return fused


def dense_query_text(index: Index, analysis: QueryAnalysis) -> str:
    """What to embed: the question itself for a model, the Arabic side for hashing."""
    if index.embedder.id.startswith("hashing") and analysis.language == "en":
        return analysis.arabic_text
    return analysis.question


def search(
    index: Index, analysis: QueryAnalysis, k: int, use: tuple[str, ...] = ("dense", "bm25")
) -> list[Retrieved]:
    """Top ``k`` fused, deduplicated, speaker-aware results for an analysed question."""
    if index.store is None:
        return []
    rankings: dict[str, list[str]] = {}
    if "dense" in use:
        text = dense_query_text(index, analysis)
        if text.strip():
            rankings["dense"] = [
                i for i, _ in index.store.query(index.embedder.embed_query(text), CANDIDATES)
            ]
    if "bm25" in use and index.lexical is not None:
        rankings["bm25"] = [i for i, _ in index.lexical.search(analysis.terms, CANDIDATES)]
    fused = rrf(rankings, WEIGHTS)
    if not fused:
        return []
    chunks = index.store.get(list(fused))
    ranks = {name: {cid: r for r, cid in enumerate(ids, 1)} for name, ids in rankings.items()}
    scored = []
    for chunk_id, score in fused.items():
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        score += _speaker_bonus(index, analysis, chunk.source, chunk.text)
        per = {name: r[chunk_id] for name, r in ranks.items() if chunk_id in r}
        scored.append(Retrieved(chunk=chunk, score=score, ranks=per))
    scored.sort(key=lambda r: (-r.score, r.chunk.source, r.chunk.start))
    return scored[:k]


def statement_score(analysis: QueryAnalysis, text: str, names: list[str]) -> float:
    """How well one sentence of ``text`` reports a named speaker saying something on-topic.

    Max over sentences of ``speaker_score × topic coverage`` (coverage 1 when the
    question names no topic), so "Wang Yi said X" outranks "Wang Yi met Lavrov" when
    the question is what Wang Yi said about X.
    """
    topic = analysis.topic_terms
    best = 0.0
    for span in sentence_spans(text, Span(0, len(text)), 10**9, len):
        sentence = text[span.start : span.end]
        who = max(speaker_score(sentence, s, names) for s in analysis.speakers)
        if who == 0.0:
            continue
        covered = len(topic & set(analyse(sentence))) / len(topic) if topic else 1.0
        best = max(best, who * covered)
    return best


def _speaker_bonus(index: Index, analysis: QueryAnalysis, source: str, text: str) -> float:
    if not (analysis.speakers and analysis.wants_statement):
        return 0.0
    names = index.manifest.files.get(source, {}).get("names", [])
    return SPEAKER_BONUS * statement_score(analysis, text, names)


def retrieve(
    index: Index, question: str, k: int, translation: str = ""
) -> tuple[QueryAnalysis, list[Retrieved]]:
    """Analyse and search in one call (what the answerers use)."""
    vocabulary = index.lexical.words if index.lexical is not None else frozenset()
    analysis = analyse_query(question, vocabulary, translation)
    return analysis, search(index, analysis, k)


def query_terms_normalised(analysis: QueryAnalysis) -> set[str]:
    """Normalised surface words of the Arabic side of the query (for sentence scoring)."""
    return set(normalize(analysis.arabic_text).split())
