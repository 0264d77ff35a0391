"""Offline answers: the sentences of the retrieved passages that answer the question, quoted.

With no LLM configured, an answer is a short list of verbatim sentences, each cited to
its file and character offsets, introduced in the question's language by a line that
says these are quotes from the sources. Sentences are chosen by how much of the
question they cover (stemmed terms, bridged English terms, named speakers), from the
best-ranked passages, and shown in reading order.

It abstains, in the question's language, when the evidence is weak: when no passage
covers at least ``ABSTAIN_COVERAGE`` of the question's content terms (English words the
bridge could not translate count as uncovered). The threshold was calibrated on the
eval set's unanswerable questions (see README, "Evaluation").
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.arabic import analyse
from assistant.models import Chunk, Citation, Retrieved, Span
from assistant.retrieval import QueryAnalysis
from assistant.speakers import mentions, speaker_score
from assistant.splitter import sentence_spans

ABSTAIN_COVERAGE = 0.5
MAX_SENTENCES = 3
MIN_RELATIVE_SCORE = 0.55
PASSAGES_CONSIDERED = 5

INTRO = {
    "en": "Quoted from the articles (offline mode: no language model; the quotes are in Arabic):",
    "ar": "مقتطفات من المقالات (وضع دون نموذج لغوي: الإجابة اقتباس حرفي من المصادر):",
}
ABSTAIN = {
    "en": "The articles do not say. No passage in the indexed articles answers this question.",
    "ar": "لا تذكر المقالات ذلك. لم أجد في المقالات المفهرسة ما يجيب عن هذا السؤال.",
}


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence: its chunk, its span in the original file, its score."""

    chunk: Chunk
    span: Span
    text: str
    score: float
    rank: int


def coverage(analysis: QueryAnalysis, text: str, names: list[str]) -> float:
    """Share of the question's slots (topics and named speakers) that ``text`` fills."""
    found = sum(mentions(text, s, names) for s in analysis.speakers)
    return analysis.coverage(set(analyse(text)), found)


def sentences_of(retrieved: list[Retrieved]) -> list[tuple[Chunk, Span, int]]:
    """Distinct sentences of the retrieved chunks, as spans of the original files."""
    seen: set[tuple[str, int]] = set()
    out = []
    for rank, item in enumerate(retrieved):
        chunk = item.chunk
        for s in sentence_spans(chunk.text, Span(0, len(chunk.text)), 10**9, len):
            key = (chunk.source, chunk.start + s.start)
            if key not in seen:
                seen.add(key)
                out.append((chunk, Span(chunk.start + s.start, chunk.start + s.end), rank))
    return out


def score_sentences(
    analysis: QueryAnalysis, retrieved: list[Retrieved], names: dict[str, list[str]]
) -> list[Sentence]:
    """Every candidate sentence scored by coverage, speaker attribution and passage rank."""
    scored = []
    for chunk, span, rank in sentences_of(retrieved[:PASSAGES_CONSIDERED]):
        text = chunk.text[span.start - chunk.start : span.end - chunk.start]
        score = coverage(analysis, text, names.get(chunk.source, [])) + 0.15 / (1 + rank)
        if analysis.speakers and analysis.wants_statement:
            score += 0.5 * speaker_score(text, analysis.speakers[0], names.get(chunk.source, []))
        scored.append(Sentence(chunk, span, text, score, rank))
    return scored


def best_coverage(
    analysis: QueryAnalysis, retrieved: list[Retrieved], names: dict[str, list[str]]
) -> float:
    """The highest question coverage of any top passage (the abstention signal)."""
    return max(
        (
            coverage(analysis, r.chunk.text, names.get(r.chunk.source, []))
            for r in retrieved[:PASSAGES_CONSIDERED]
        ),
        default=0.0,
    )


def pick(sentences: list[Sentence], limit: int = MAX_SENTENCES) -> list[Sentence]:
    """The best sentences (within ``MIN_RELATIVE_SCORE`` of the top), in reading order."""
    if not sentences:
        return []
    ranked = sorted(sentences, key=lambda s: (-s.score, s.rank, s.span.start))
    floor = ranked[0].score * MIN_RELATIVE_SCORE
    chosen = [s for s in ranked if s.score >= floor][:limit]
    first_rank = {
        s.chunk.source: min(x.rank for x in chosen if x.chunk.source == s.chunk.source)
        for s in chosen
    }
    return sorted(chosen, key=lambda s: (first_rank[s.chunk.source], s.chunk.source, s.span.start))


def cite(sentences: list[Sentence]) -> tuple[Citation, ...]:
    """Citations for chosen sentences (quote == original[start:end] by construction)."""
    return tuple(
        Citation(
            source=s.chunk.source,
            quote=s.text,
            start=s.span.start,
            end=s.span.end,
            chunk_id=s.chunk.chunk_id,
            title=s.chunk.title,
            date=s.chunk.date,
        )
        for s in sentences
    )


def render(language: str, citations: tuple[Citation, ...], intro: str | None = None) -> str:
    """Answer text: an intro line, then each quote with its ``[n]`` marker."""
    lines = [intro or INTRO.get(language, INTRO["en"])]
    lines += [f"- «{c.quote}» [{n}]" for n, c in enumerate(citations, start=1)]
    return "\n".join(lines)


def extractive_answer(
    analysis: QueryAnalysis, retrieved: list[Retrieved], names: dict[str, list[str]]
) -> tuple[str, tuple[Citation, ...], bool]:
    """``(text, citations, abstained)`` for one question, offline."""
    if best_coverage(analysis, retrieved, names) < ABSTAIN_COVERAGE:
        return ABSTAIN.get(analysis.reply_language, ABSTAIN["en"]), (), True
    citations = cite(pick(score_sentences(analysis, retrieved, names)))
    if not citations:
        return ABSTAIN.get(analysis.reply_language, ABSTAIN["en"]), (), True
    return render(analysis.reply_language, citations), citations, False
