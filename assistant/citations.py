"""Citation check: keep only the statements of an LLM answer whose quotes are really there.

The prompts (``prompts/answer.txt`` …) ask the model for one statement per line, each
ending with one or more citations ``[N: «exact quote»]`` where ``N`` numbers a passage
given to it. This module parses that output into statements, verifies every quote
against the chunk it cites, and rebuilds the answer:

- A quote is accepted only when its normalised form (:func:`assistant.arabic.normalize`:
  diacritics, tatweel, hamza forms, quote marks, whitespace) is an exact substring of the
  normalised cited chunk. Nothing approximate: a quote with a dropped or changed word is
  rejected. Only surrounding whitespace, quote marks and end punctuation are forgiven.
- The accepted span is mapped back to the raw chunk text with the index map of
  :func:`assistant.arabic.normalize_with_map`, so ``Citation.quote == chunk.text[a:b]`` and
  ``original_file[citation.start:citation.end] == citation.quote``.
- A statement with an unverifiable quote, a quote-less ``[N]`` marker, a passage number
  that does not exist, or no citation at all is removed, and a note says why. It is never
  shown as supported.
- Surviving quotes become markers ``[1]``, ``[2]`` … numbered in order of first appearance,
  indexing :attr:`CheckedAnswer.citations` (1-based).
- The abstention token ``NOT_IN_SOURCES`` alone gives ``abstained=True``.

What it does not do: call a model or build prompts (see :mod:`assistant.llm_chain`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.arabic import normalize, normalize_with_map
from assistant.models import Chunk, Citation

ABSTAIN_TOKEN = "NOT_IN_SOURCES"
MIN_QUOTE_WORDS = 2

# One citation: "[3: «quote»]"; also tolerated: other quote marks, no quote marks, a
# full-width colon or a comma as separator, a "passage" word before the number, and the
# bare marker "[3]" (rejected later: it carries no quote).
_CITE_RE = re.compile(
    r"\[\s*(?:passage|source|المقطع|مقطع|النص)?\s*(?P<n>\d{1,3})\s*"
    r"(?:[:：,،-]\s*(?P<q>«[^»\]]*»|“[^”\]]*”|\"[^\"\]]*\"|[^\]]*?))?\s*\]",
    re.IGNORECASE,
)
_CITE_GAP_RE = re.compile(r"[ \t]*(?:,|،|and|و)?[ \t]*")
_TAIL_RE = re.compile(r"[ \t]*[.,;:!?؟،؛…]*")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?؟])[ \t]+(?=\S)|\n+")
# A full stop after these does not end a sentence: abbreviations, and list numbers ("2.").
_ABBREVIATION_RE = re.compile(
    r"(?:\b(?:[A-Za-z]\.){1,3}|\b(?:Mr|Mrs|Ms|Dr|St|vs|etc|No)\.?|^\s*[-*•]?\s*\d{1,3}\.)$"
)
_QUOTE_STRIP = " \t\n\"'«»“”„‘’.,،؛;:!?؟…"
_ABSTAIN_RE = re.compile(rf"[ \t]*{ABSTAIN_TOKEN}[ \t]*[.!]?", re.IGNORECASE)


@dataclass(frozen=True)
class RawCitation:
    """A citation as the model wrote it: passage number and quote (``None`` for ``[N]``)."""

    number: int
    quote: str | None


@dataclass(frozen=True)
class Statement:
    """One statement of the model output with its citations (empty: uncited).

    ``sep`` is the whitespace that preceded it (kept so lines stay lines) and ``tail``
    the end punctuation written after its citations.
    """

    body: str
    citations: tuple[RawCitation, ...]
    sep: str = ""
    tail: str = ""


@dataclass(frozen=True)
class CheckedAnswer:
    """The verified answer: text with markers ``[n]`` indexing ``citations`` (1-based).

    ``abstained`` is true when the model said ``NOT_IN_SOURCES`` or when no statement
    survived the check; ``removed`` counts statements dropped by the check, and ``notes``
    says why, for the user.
    """

    text: str
    citations: tuple[Citation, ...]
    notes: tuple[str, ...]
    abstained: bool
    removed: int = 0


def _raw_citation(match: re.Match[str]) -> RawCitation:
    """The :class:`RawCitation` of one ``_CITE_RE`` match."""
    quote = match.group("q")
    return RawCitation(int(match.group("n")), quote if quote and quote.strip() else None)


def _citation_runs(text: str) -> list[tuple[int, int, tuple[RawCitation, ...]]]:
    """Maximal runs of adjacent citations in ``text`` as ``(start, end, citations)``.

    >>> [(s, e, len(c)) for s, e, c in _citation_runs("a [1: «x y»] [2: «z w»]. b [3]")]
    [(2, 23, 2), (27, 30, 1)]
    """
    runs: list[tuple[int, int, tuple[RawCitation, ...]]] = []
    for match in _CITE_RE.finditer(text):
        cite = _raw_citation(match)
        if runs and _CITE_GAP_RE.fullmatch(text, runs[-1][1], match.start()):
            start, _, cites = runs[-1]
            runs[-1] = (start, match.end(), (*cites, cite))
        else:
            runs.append((match.start(), match.end(), (cite,)))
    return runs


def _split_sentences(segment: str) -> list[tuple[str, str]]:
    """Split text into ``(separator, sentence)`` pairs at line ends and sentence ends.

    Abbreviations such as ``U.S.`` do not end a sentence. The last pair is always there,
    its sentence possibly empty: a citation that follows the segment belongs to it.

    >>> _split_sentences("One. Two in the U.S. now\\nThree ")
    [('', 'One.'), (' ', 'Two in the U.S. now'), ('\\n', 'Three')]
    >>> _split_sentences("One.\\n")
    [('', 'One.'), ('\\n', '')]
    """
    pieces: list[tuple[str, str]] = []
    sep, pos = "", 0
    for match in _SENTENCE_END_RE.finditer(segment):
        if "\n" not in match.group() and _ABBREVIATION_RE.search(segment[pos : match.start()]):
            continue
        pieces.append((sep, segment[pos : match.start()]))
        sep, pos = match.group(), match.end()
    pieces.append((sep, segment[pos:]))
    merged: list[tuple[str, str]] = []
    carry = ""
    for index, (sep, piece) in enumerate(pieces):
        carry += sep + piece[: len(piece) - len(piece.lstrip())]
        if piece.strip() or index == len(pieces) - 1:
            merged.append((carry, piece.strip()))
            carry = ""
    return merged


def _attach(statements: list[Statement], cited: Statement) -> None:
    """Append a cited statement; citations with no text of their own join the previous one."""
    if cited.body or not statements:
        statements.append(cited)
        return
    last = statements[-1]
    tail = last.tail or cited.tail
    statements[-1] = Statement(last.body, last.citations + cited.citations, last.sep, tail)


def parse_statements(text: str) -> list[Statement]:
    """Parse model output into statements, each with the citations written after it.

    Text before a run of citations is split into sentences: the last one is the cited
    statement, earlier ones (and text after the last citation) are uncited statements.
    Pieces without a letter or digit (bullets, stray punctuation) and uncited lead-in
    lines ending with a colon are dropped.

    >>> [(s.body, len(s.citations)) for s in parse_statements("A [1: «x y»].\\nB\\nC [2]")]
    [('A', 1), ('B', 0), ('C', 1)]
    """
    statements: list[Statement] = []
    pos = 0
    for start, end, cites in _citation_runs(text):
        tail = _TAIL_RE.match(text, end)
        assert tail is not None  # the pattern matches the empty string
        *uncited, (sep, body) = _split_sentences(text[pos:start])
        statements.extend(Statement(b, (), s) for s, b in uncited)
        _attach(statements, Statement(body, cites, sep, tail.group().strip()))
        pos = tail.end()
    statements.extend(Statement(b, (), s) for s, b in _split_sentences(text[pos:]))
    return [s for s in statements if re.search(r"\w", s.body) and not _is_lead_in(s)]


def _is_lead_in(statement: Statement) -> bool:
    """An uncited line ending with a colon ("Based on the passages:") asserts nothing."""
    return not statement.citations and statement.body.endswith((":", "："))


def locate_quote(quote: str, text: str) -> tuple[int, int] | None:
    """Raw span ``[a, b)`` of ``text`` whose normalised form equals the normalised quote.

    Exact after normalisation (diacritics, tatweel, hamza, quote marks, whitespace);
    surrounding quote marks and end punctuation of ``quote`` are ignored. Marks that
    follow the last matched letter (its diacritics) are included in the span.

    >>> text = "قالَ الوزيرُ إنّ «الأزمة» مستمرة."
    >>> a, b = locate_quote('«الوزير ان "الازمه»', text)
    >>> text[a:b]
    'الوزيرُ إنّ «الأزمة»'
    """
    needle = normalize(quote.strip(_QUOTE_STRIP))
    if not needle:
        return None
    haystack, index = normalize_with_map(text)
    found = haystack.find(needle)
    if found < 0:
        return None
    start, end = index[found], index[found + len(needle) - 1] + 1
    while end < len(text) and not text[end].isspace() and not normalize(text[end]):
        end += 1
    return _balance_quote_marks(text, start, end)


def _balance_quote_marks(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` by a character to close a quote mark opened inside it.

    >>> _balance_quote_marks("a «b» c", 2, 4), _balance_quote_marks('a "b" c', 2, 4)
    ((2, 5), (2, 5))
    """
    for opening, closing in (("«", "»"), ("“", "”")):
        opened = text.count(opening, start, end) - text.count(closing, start, end)
        if opened > 0 and text[end : end + 1] == closing:
            end += 1
        elif opened < 0 and start > 0 and text[start - 1] == opening:
            start -= 1
    if text.count('"', start, end) % 2:
        if text[end : end + 1] == '"':
            end += 1
        elif start > 0 and text[start - 1] == '"':
            start -= 1
    return start, end


def _citation(chunk: Chunk, span: tuple[int, int]) -> Citation:
    """The :class:`Citation` of raw span ``span`` of ``chunk``, in original-file offsets."""
    a, b = span
    return Citation(
        source=chunk.source,
        quote=chunk.text[a:b],
        start=chunk.start + a,
        end=chunk.start + b,
        chunk_id=chunk.chunk_id,
        title=chunk.title,
        date=chunk.date,
    )


def verify(statement: Statement, chunks: Sequence[Chunk]) -> tuple[list[Citation], str | None]:
    """Verified citations of ``statement``, or ``([], reason)`` when any one fails.

    Passage ``N`` is ``chunks[N - 1]``. One failing citation rejects the statement: a
    fabricated quote next to a real one must not make the statement look supported.
    """
    if not statement.citations:
        return [], "no citation"
    found: list[Citation] = []
    for raw in statement.citations:
        if not 1 <= raw.number <= len(chunks):
            return [], f"it cites passage [{raw.number}], which was not given"
        chunk = chunks[raw.number - 1]
        if raw.quote is None:
            return [], f"its citation [{raw.number}] has no quote"
        if len(normalize(raw.quote.strip(_QUOTE_STRIP)).split()) < MIN_QUOTE_WORDS:
            return [], f"its quote from passage [{raw.number}] is too short to verify"
        span = locate_quote(raw.quote, chunk.text)
        if span is None:
            return [], f"its quote was not found in passage [{raw.number}] ({chunk.source})"
        found.append(_citation(chunk, span))
    return found, None


def _separator(statement: Statement, first: bool) -> str:
    """Whitespace to put before a kept statement: its line breaks, else one space."""
    if first:
        return ""
    breaks = statement.sep.count("\n")
    return "\n" * min(breaks, 2) if breaks else " "


def _notes(reasons: Sequence[str]) -> tuple[str, ...]:
    """One note per distinct removal reason, counted.

    >>> _notes(["no citation", "no citation"])
    ('2 statements removed: no citation',)
    """
    counts = Counter(reasons)
    return tuple(f"{n} statement{'s' if n > 1 else ''} removed: {r}" for r, n in counts.items())


def _strip_abstention(output: str) -> tuple[str, bool]:
    """``output`` without the abstention token, and whether the token was there."""
    text, count = _ABSTAIN_RE.subn("", output)
    return text, count > 0


def check_citations(output: str, chunks: Sequence[Chunk]) -> CheckedAnswer:
    """Verify the citations of model ``output`` against ``chunks`` (passage N = chunks[N-1]).

    Returns the answer rebuilt from the verified statements only, quotes replaced by
    markers ``[n]`` that index ``citations`` (1-based, numbered by first appearance; the
    same quote cited twice keeps one number).
    """
    text, said_abstain = _strip_abstention(output)
    statements = parse_statements(text)
    if said_abstain and not any(s.citations for s in statements):
        return CheckedAnswer(text="", citations=(), notes=(), abstained=True)
    numbers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    reasons: list[str] = []
    for statement in statements:
        found, reason = verify(statement, chunks)
        if reason is not None:
            reasons.append(reason)
            continue
        markers: list[str] = []
        for citation in found:
            key = (citation.source, citation.start, citation.end)
            if key not in numbers:
                citations.append(citation)
                numbers[key] = len(citations)
            if f"[{numbers[key]}]" not in markers:
                markers.append(f"[{numbers[key]}]")
        sentence = f"{statement.body} {''.join(markers)}{statement.tail}"
        parts.append(_separator(statement, not parts) + sentence)
    return CheckedAnswer(
        text="".join(parts),
        citations=tuple(citations),
        notes=_notes(reasons),
        abstained=not parts,
        removed=len(reasons),
    )


def keep_verified(output: str, chunks: Sequence[Chunk]) -> tuple[str, tuple[str, ...]]:
    """Only the verified statements of ``output``, still in the model's citation format.

    Used between the map and reduce steps of a summary: each kept statement is one line
    ending with ``[N: «quote»]`` where ``N`` is its passage number and the quote the exact
    verified text, so the reduce step can copy citations that will verify again.
    Returns the lines and the removal notes; an abstention gives ``""``.
    """
    text, _ = _strip_abstention(output)
    lines: list[str] = []
    reasons: list[str] = []
    for statement in parse_statements(text):
        found, reason = verify(statement, chunks)
        if reason is not None:
            reasons.append(reason)
            continue
        cites = " ".join(
            f"[{raw.number}: «{c.quote}»]"
            for raw, c in zip(statement.citations, found, strict=True)
        )
        lines.append(f"{statement.body} {cites}{statement.tail}")
    return "\n".join(lines), _notes(reasons)
