"""Split a cleaned article into sentence-aligned chunks measured in tokens.

What it does: find sentence spans inside each kept block (Arabic and Latin end marks,
paragraph breaks; over-long sentences are cut at ، ؛ , then at word gaps), then pack
whole sentences into chunks of about ``chunk_tokens`` tokens with ``overlap_tokens`` of
whole-sentence overlap. Each chunk is a slice of the original text, so
``article.original[chunk.start:chunk.end] == chunk.text`` always holds, and its id is a
hash of its source and text: the same text gets the same id on every run.

What it does not do: cross block boundaries (a block ends where boilerplate was removed).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from assistant.models import Article, Chunk, Span

CountTokens = Callable[[str], int]

# A sentence ends at . ! ? ؟ … or "..." (not at "..", which Arabic news uses as a dash:
# "لافروف في الصين.. مباحثات", "شي جين بينغ.. كان"), plus closing quotes, before a space.
_SENTENCE_END = re.compile(r"(?:\.{3,}|…|(?<!\.)\.(?!\.)|[!?؟])[\"'”»)\]]*(?=\s)|\n+")
_CLAUSE_END = re.compile(r"[،؛,;:](?=\s)")


def _trimmed(text: str, start: int, end: int) -> Span | None:
    """``[start, end)`` shrunk to exclude surrounding whitespace; None when blank."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _cut(text: str, span: Span, pattern: re.Pattern[str]) -> list[Span]:
    """Spans of ``text[span]`` ending at each match of ``pattern`` (the mark stays left)."""
    pieces, cursor = [], span.start
    for match in pattern.finditer(text, span.start, span.end):
        piece = _trimmed(text, cursor, match.end())
        if piece:
            pieces.append(piece)
        cursor = match.end()
    tail = _trimmed(text, cursor, span.end)
    if tail:
        pieces.append(tail)
    return pieces


def _cut_words(text: str, span: Span, max_tokens: int, count: CountTokens) -> list[Span]:
    """Cut a span with no usable punctuation at word gaps into pieces under ``max_tokens``."""
    pieces, start, last_gap = [], span.start, None
    for match in re.finditer(r"\s+", text[span.start : span.end]):
        gap = span.start + match.start()
        if count(text[start:gap]) > max_tokens and last_gap is not None:
            pieces.append(Span(start, last_gap))
            start = _trimmed(text, last_gap, span.end).start  # type: ignore[union-attr]
        last_gap = gap
    if count(text[start : span.end]) > max_tokens and last_gap is not None and last_gap > start:
        pieces.append(Span(start, last_gap))
        start = _trimmed(text, last_gap, span.end).start  # type: ignore[union-attr]
    pieces.append(Span(start, span.end))
    return pieces


def sentence_spans(text: str, span: Span, max_tokens: int, count: CountTokens) -> list[Span]:
    """Sentence spans within ``text[span]``, each at most ``max_tokens`` where cuttable.

    >>> t = "قال لافروف: نعم. وأضاف؟ لا"
    >>> [t[s.start:s.end] for s in sentence_spans(t, Span(0, len(t)), 50, len)]
    ['قال لافروف: نعم.', 'وأضاف؟', 'لا']
    """
    result: list[Span] = []
    for sentence in _cut(text, span, _SENTENCE_END):
        if count(text[sentence.start : sentence.end]) <= max_tokens:
            result.append(sentence)
            continue
        for clause in _cut(text, sentence, _CLAUSE_END):
            if count(text[clause.start : clause.end]) <= max_tokens:
                result.append(clause)
            else:
                result.extend(_cut_words(text, clause, max_tokens, count))
    return result


# Passages whose sentence split is kept: retrieval's speaker scoring and the extractive
# answerer split the same indexed passages question after question.
CACHED_PASSAGES = 4096


@lru_cache(maxsize=CACHED_PASSAGES)
def whole_text_spans(text: str) -> tuple[Span, ...]:
    """The sentences of the whole ``text`` as spans of it, with no token limit (a sentence is
    never cut), kept per text (:data:`CACHED_PASSAGES`)."""
    return tuple(sentence_spans(text, Span(0, len(text)), 10**9, len))


def pack(spans: list[Span], sizes: list[int], max_tokens: int, overlap: int) -> Iterator[tuple[int, int]]:
    """Group consecutive sentences into ``(first, last)`` index ranges under ``max_tokens``.

    Each new group starts with as many trailing sentences of the previous group as fit
    in ``overlap`` tokens *and* leave room for the next new sentence (never the whole
    previous group), so every group reaches past the previous one and none is a mere
    subset of it.

    >>> list(pack([Span(0, 1)] * 4, [4, 4, 4, 4], 8, 4))
    [(0, 1), (1, 2), (2, 3)]
    >>> list(pack([Span(0, 1)] * 3, [5, 5, 20], 20, 10))
    [(0, 1), (2, 2)]
    """
    first = 0
    while first < len(spans):
        last, total = first, sizes[first]
        while last + 1 < len(spans) and total + sizes[last + 1] <= max_tokens:
            last += 1
            total += sizes[last]
        yield first, last
        if last + 1 >= len(spans):
            return
        nxt, carried = last + 1, 0
        limit = min(overlap, max_tokens - sizes[last + 1])
        while nxt - 1 > first and carried + sizes[nxt - 1] <= limit:
            nxt -= 1
            carried += sizes[nxt]
        first = nxt


def chunk_id(source: str, text: str, occurrence: int) -> str:
    """Deterministic id: the same text of the same file always gets the same id."""
    digest = hashlib.sha1(f"{source}\x00{occurrence}\x00{text}".encode()).hexdigest()
    return digest[:24]


def split_article(article: Article, count: CountTokens, chunk_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """All chunks of ``article`` in reading order (see module docstring)."""
    text, chunks, seen = article.original, [], {}
    for block in article.blocks:
        spans = sentence_spans(text, block, chunk_tokens, count)
        # Each sentence is measured with the whitespace before it, so a chunk (sentences *and*
        # the gaps between them) stays within budget for counters that charge for gaps
        # (tiktoken's "\n\n" token, a character count); the fallback counter charges nothing.
        sizes = [
            count(text[(spans[i - 1].end if i else s.start) : s.end]) for i, s in enumerate(spans)
        ]
        for first, last in pack(spans, sizes, chunk_tokens, overlap_tokens):
            start, end = spans[first].start, spans[last].end
            body = text[start:end]
            occurrence = seen.get(body, 0)
            seen[body] = occurrence + 1
            chunks.append(
                Chunk(
                    chunk_id=chunk_id(article.source, body, occurrence),
                    source=article.source,
                    text=body,
                    start=start,
                    end=end,
                    title=article.title,
                    date=article.date,
                    language=article.language,
                    position=len(chunks),
                )
            )
    return chunks
