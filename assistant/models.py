"""Plain data shapes shared by every stage: articles, chunks, retrieved passages, answers.

They are frozen dataclasses with no behaviour beyond (de)serialisation, so that the
CLI, the web page and the evaluation only *format* results and never parse strings.
The JSON shape of :class:`Answer` (``Answer.to_dict``) is a public interface: the
evaluation runner, the UI and outside scripts depend on it exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` in an original article file."""

    start: int
    end: int


@dataclass(frozen=True)
class Article:
    """One loaded article: the original text as stored on disk plus what cleaning found.

    ``blocks`` are the spans of ``original`` that survived boilerplate removal, in order;
    every chunk lies inside exactly one block, so ``original[chunk.start:chunk.end]`` is
    always the chunk text.
    """

    source: str
    original: str
    blocks: tuple[Span, ...]
    title: str
    date: str | None
    language: str
    content_hash: str

    @property
    def cleaned(self) -> str:
        """The kept blocks joined by blank lines (what a reader of the article sees)."""
        return "\n\n".join(self.original[b.start : b.end] for b in self.blocks)

    @property
    def char_count(self) -> int:
        """Characters of cleaned text (boilerplate excluded)."""
        return sum(b.end - b.start for b in self.blocks)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: a contiguous slice of one article with its metadata."""

    chunk_id: str
    source: str
    text: str
    start: int
    end: int
    title: str = ""
    date: str | None = None
    language: str = "ar"
    position: int = 0

    def metadata(self) -> dict[str, Any]:
        """Metadata as stored in Chroma (no ``None`` values: Chroma rejects them)."""
        return {
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "title": self.title,
            "date": self.date or "",
            "language": self.language,
            "position": self.position,
        }

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        """Rebuild a chunk from what :meth:`metadata` stored."""
        return cls(
            chunk_id=chunk_id,
            source=str(meta["source"]),
            text=text,
            start=int(meta["start"]),
            end=int(meta["end"]),
            title=str(meta.get("title", "")),
            date=(str(meta["date"]) or None) if meta.get("date") else None,
            language=str(meta.get("language", "ar")),
            position=int(meta.get("position", 0)),
        )


@dataclass(frozen=True)
class Retrieved:
    """A chunk returned by retrieval, with its fused score and per-retriever ranks."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``retrieved`` entry of the public JSON shape."""
        return {
            "source": self.chunk.source,
            "chunk_id": self.chunk.chunk_id,
            "score": round(float(self.score), 6),
        }


@dataclass(frozen=True)
class Citation:
    """A verified quote: ``quote == original_file_text[start:end]`` of ``source``."""

    source: str
    quote: str
    start: int
    end: int
    chunk_id: str = ""
    title: str = ""
    date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``citations`` entry of the public JSON shape."""
        return {"source": self.source, "quote": self.quote, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Mode:
    """Which backends produced an answer, e.g. ``Mode("hashing-ngram-512", "none")``."""

    embedder: str
    llm: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What every interface receives: text, verified citations, what was retrieved, mode.

    ``text`` carries numbered markers ``[1]``, ``[2]`` … that index ``citations``
    (1-based). ``notes`` holds user-facing remarks (e.g. a statement removed because its
    quote could not be verified); it is not part of the fixed JSON shape.
    """

    question: str
    text: str
    language: str
    abstained: bool
    citations: tuple[Citation, ...]
    retrieved: tuple[Retrieved, ...]
    mode: Mode
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The fixed public JSON shape (``ask --json``)."""
        return {
            "question": self.question,
            "answer": self.text,
            "language": self.language,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [r.to_dict() for r in self.retrieved],
            "mode": self.mode.to_dict(),
        }
