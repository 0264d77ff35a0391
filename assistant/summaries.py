"""Offline extractive summaries of one article, several, all, or a topic across them.

An article's summary is its most central sentences (those sharing the most analysed
terms with the rest of the article, with a lead bonus since news puts the gist first),
in reading order, each cited. A topic summary scores the sentences of the passages
retrieved for the topic by topic coverage plus centrality. Summaries also route from
the chat: "لخص …", "summarise …" questions come here.
"""

from __future__ import annotations

import re
from collections import Counter

from assistant.arabic import analyse
from assistant.extractive import Sentence, cite
from assistant.models import Chunk, Citation, Span
from assistant.splitter import sentence_spans

SUMMARY_INTRO = {
    "en": "Summary in quotes from {what} (offline mode: the sentences below are quoted from the Arabic sources):",
    "ar": "ملخص مقتبس من {what} (وضع دون نموذج لغوي: الجمل التالية مقتبسة حرفياً من المصادر):",
}
_SUMMARY_RE = re.compile(
    r"^\s*(please\s+)?(summari[sz]e|sum up|give( me)? (a |an )?(short |brief )?(summary|overview) of)\b"
    r"|^\s*(can you |could you )?(write |provide )?(a |an )?(short |brief )?(summary|overview) of\b"
    r"|^\s*(من فضلك\s+)?((قدم|قدّم|اعط|أعط|أعطني|اعطني|اكتب) ملخصا?ً?|لخّص|لخص|ملخص|تلخيص|اختصر)",
    re.IGNORECASE,
)
MIN_SENTENCE_CHARS = 40


def is_summary_request(question: str) -> bool:
    """True for chat messages that ask for a summary ("Summarise …", "لخص …")."""
    return bool(_SUMMARY_RE.search(question))


def summary_topic(question: str) -> str:
    """The topic part of a summary request ("لخص ما قاله لافروف" → "ما قاله لافروف")."""
    return _SUMMARY_RE.sub("", question, count=1).strip(" :،,.؟?")


def article_sentences(chunks: list[Chunk]) -> list[tuple[Chunk, Span, str]]:
    """Distinct sentences of an article's chunks, as spans of the original file."""
    seen: set[int] = set()
    out = []
    for chunk in sorted(chunks, key=lambda c: c.start):
        for s in sentence_spans(chunk.text, Span(0, len(chunk.text)), 10**9, len):
            start = chunk.start + s.start
            text = chunk.text[s.start : s.end]
            if start not in seen and len(text) >= MIN_SENTENCE_CHARS:
                seen.add(start)
                out.append((chunk, Span(start, chunk.start + s.end), text))
    return out


def central_sentences(chunks: list[Chunk], limit: int, topic_terms: set[str] | None = None) -> list[Sentence]:
    """The ``limit`` most central (and on-topic) sentences of ``chunks``, in reading order."""
    items = article_sentences(chunks)
    if not items:
        return []
    bags = [set(analyse(text)) for _, _, text in items]
    freq = Counter(t for bag in bags for t in bag)
    scored = []
    for position, ((chunk, span, text), bag) in enumerate(zip(items, bags, strict=True)):
        centrality = sum(freq[t] - 1 for t in bag) / (len(bag) + 5)
        score = centrality + (0.5 if position == 0 else 0.0)
        if topic_terms:
            score += 3.0 * len(bag & topic_terms) / len(topic_terms)
        scored.append(Sentence(chunk, span, text, score, position))
    best = sorted(scored, key=lambda s: -s.score)[:limit]
    return sorted(best, key=lambda s: (s.chunk.source, s.span.start))


def summarise_articles(
    chunks_by_source: dict[str, list[Chunk]], language: str, topic_terms: set[str] | None = None
) -> tuple[str, tuple[Citation, ...]]:
    """Extractive summary of each article, in the order given (the caller's: by relevance
    for a topic, by file name otherwise); fewer sentences each when many."""
    per_article = max(2, 6 // max(1, len(chunks_by_source))) if len(chunks_by_source) > 1 else 4
    chosen: list[Sentence] = []
    for source in chunks_by_source:
        chosen.extend(central_sentences(chunks_by_source[source], per_article, topic_terms))
    citations = cite(chosen)
    what = _what(language, list(chunks_by_source))
    return render_summary(language, what, citations), citations


def render_summary(language: str, what: str, citations: tuple[Citation, ...]) -> str:
    """Summary text: an intro line, then one quoted sentence per line with ``[n]``, grouped by file."""
    lines = [SUMMARY_INTRO.get(language, SUMMARY_INTRO["en"]).format(what=what)]
    current = None
    for n, c in enumerate(citations, start=1):
        if c.source != current and len({x.source for x in citations}) > 1:
            current = c.source
            lines.append(f"\n**{c.title or c.source}** ({c.source})")
        lines.append(f"- «{c.quote}» [{n}]")
    return "\n".join(lines)


def _what(language: str, sources: list[str]) -> str:
    if language == "ar":
        return f"{len(sources)} مقالات" if len(sources) > 1 else f"المقال {sources[0]}"
    return f"{len(sources)} articles" if len(sources) > 1 else f"article {sources[0]}"
