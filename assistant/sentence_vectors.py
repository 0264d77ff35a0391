"""Sentence vectors: the multilingual model's reading of each candidate sentence, cached.

The offline answerer quotes sentences. An English question reaches Arabic words only
through a hand-written lexicon; a word it lacks ("tender", "electricity") or knows in
another sense ("fair" → عادل) cannot choose the sentence that carries the answer. The
multilingual e5 model reads both languages, so the similarity of the question's vector
(computed once, for retrieval) to each candidate sentence's passage vector says which
sentence answers, whatever words the lexicon knows.

A sentence costs the engine ~40 ms (idle) to ~150 ms (busy machine), too much to embed a
dozen per question. So vectors are computed once per sentence text and kept: in memory,
and in a small file beside the index (``<store_dir>/<collection>.sentences.npz``), and
:meth:`SentenceVectors.warm` embeds every indexed sentence at ingest, so a question pays
one matrix product. A sentence not yet cached (an index built before this file existed)
is embedded on first use and saved.

What it does not do: decide anything. :mod:`assistant.extractive` reads the similarities.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

Progress = Callable[[int, int, str], None]  # (done, total, name), as ingest reports

BATCH = 32  # sentences per engine call when warming
STAGE = "sentence vectors"  # the name ingest's progress reports while warming


def sentence_key(embedder_id: str, text: str) -> str:
    """A stable key for one sentence under one embedder: sha1 of the id and NFC text.

    >>> sentence_key("e5", "نص") == sentence_key("e5", unicodedata.normalize("NFD", "نص"))
    True
    """
    normal = unicodedata.normalize("NFC", text)
    return hashlib.sha1(f"{embedder_id}\x00{normal}".encode("utf-8", "replace")).hexdigest()


class SentenceVectors:
    """Passage vectors of sentences by one embedder, cached in memory and in ``path``."""

    def __init__(self, embedder: Any, path: Path | None = None) -> None:
        self.embedder = embedder
        self.path = path
        self._vectors: dict[str, np.ndarray] = {}
        self._loaded = False
        self._lock = threading.Lock()  # the web page answers several questions at once

    def _load(self) -> None:
        """Read the saved vectors once (a missing or unreadable file is an empty cache)."""
        if self._loaded:
            return
        self._loaded = True
        if self.path is None or not self.path.exists():
            return
        try:
            with np.load(self.path, allow_pickle=False) as saved:
                keys, matrix = saved["keys"], saved["vectors"]
        except (OSError, ValueError, KeyError):
            return  # a cache: rebuilt on use
        if matrix.ndim == 2 and len(keys) == len(matrix):
            self._vectors.update({str(k): v for k, v in zip(keys, matrix, strict=True)})

    def _save(self) -> None:
        """Write all vectors atomically (temp file, then rename)."""
        if self.path is None or not self._vectors:
            return
        keys = np.array(list(self._vectors), dtype=str)
        matrix = np.stack(list(self._vectors.values())).astype(np.float32)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
        except OSError:
            return  # a read-only store: vectors stay in memory
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, keys=keys, vectors=matrix)
            os.replace(name, self.path)
        except OSError:
            Path(name).unlink(missing_ok=True)

    def _embed_missing(self, texts: Iterable[str], progress: Progress | None = None) -> int:
        """Embed the texts not cached yet, in batches; how many were embedded. ``progress``
        hears ``(done, total, STAGE)`` after each batch."""
        self._load()
        missing = {sentence_key(self.embedder.id, t): t for t in texts}
        missing = {k: t for k, t in missing.items() if k not in self._vectors}
        items = list(missing.items())
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            vectors = np.asarray(self.embedder.embed_documents([t for _, t in batch]), dtype=np.float32)
            self._vectors.update({k: v for (k, _), v in zip(batch, vectors, strict=True)})
            if progress is not None:
                progress(start + len(batch), len(items), STAGE)
        return len(items)

    def _prune(self, keep: set[str]) -> bool:
        """Forget vectors whose sentence is no longer indexed; whether any were dropped."""
        stale = [k for k in self._vectors if k not in keep]
        for key in stale:
            del self._vectors[key]
        return bool(stale)

    def vectors(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` vectors, embedding (and saving) the ones not cached."""
        if not texts:
            return np.zeros((0, int(getattr(self.embedder, "dim", 0))), np.float32)
        with self._lock:
            if self._embed_missing(texts):
                self._save()
            return np.stack([self._vectors[sentence_key(self.embedder.id, t)] for t in texts])

    def similarities(self, query_vector: Any, texts: list[str]) -> list[float]:
        """Cosine of each text's vector to ``query_vector`` (vectors are L2-normalised)."""
        if not texts:
            return []
        query = np.asarray(query_vector, dtype=np.float32)
        return [float(x) for x in self.vectors(texts) @ query]

    def warm(self, texts: Iterable[str], progress: Progress | None = None, prune: bool = False) -> int:
        """Embed and save every text not cached yet (at ingest); how many were embedded.
        With ``prune``, vectors of texts not among ``texts`` (removed or changed articles)
        are dropped, so the file tracks the index instead of growing with every edit."""
        texts = list(texts)
        with self._lock:
            embedded = self._embed_missing(texts, progress)
            pruned = prune and self._prune({sentence_key(self.embedder.id, t) for t in texts})
            if embedded or pruned:
                self._save()
        return embedded


def sentence_cache(settings: Any, index: Any) -> SentenceVectors | None:
    """The sentence-vector cache of ``index`` (a file beside it), or None when its embedder
    reads no words (the hashing fallback, whose vectors mean nothing across languages)."""
    from assistant.retrieval import reads_words

    if not reads_words(index.embedder.id):
        return None
    return SentenceVectors(index.embedder, Path(settings.store_dir) / f"{index.name}.sentences.npz")


def indexed_sentences(index: Any) -> list[str]:
    """The prose sentences of every indexed chunk (what the answerer may quote)."""
    from assistant.extractive import is_heading, passage_sentences

    if index.store is None:
        return []
    return [text for chunk in index.store.all_chunks() for _, text in passage_sentences(chunk) if not is_heading(text)]


def warm_sentences(cache: SentenceVectors | None, index: Any, progress: Progress | None = None) -> int:
    """Embed the indexed sentences not cached yet and forget those no longer indexed
    (ingest's last step); how many were embedded."""
    if cache is None:
        return 0
    return cache.warm(indexed_sentences(index), progress=progress, prune=True)
