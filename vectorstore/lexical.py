"""BM25 beside Chroma (local Chroma has no BM25): bm25s over Arabic-analysed terms.

Terms come from :func:`assistant.arabic.analyse` (normalised, name-folded, clitic-stripped,
Snowball-stemmed), for documents and queries alike. The index is rebuilt from Chroma's
chunks after an ingest that changed anything, written to a fresh folder and swapped in
with a rename, so a crash leaves either the old or the new index, never half of one.
``meta.json`` records the chunk ids' fingerprint so a stale index is detected on open.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import math
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.arabic import analyse, words
from assistant.models import Chunk

LEXICAL_SCHEMA = 2


def fingerprint(ids: Iterable[str]) -> str:
    """Order-independent digest of a set of chunk ids."""
    digest = hashlib.sha1()
    for chunk_id in sorted(ids):
        digest.update(chunk_id.encode())
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass
class LexicalIndex:
    """A bm25s model plus the chunk id of each row."""

    model: Any
    ids: list[str]
    fingerprint: str
    words: frozenset[str] = frozenset()
    doc_freq: dict[str, int] = field(default_factory=dict)

    def idf(self, term: str) -> float:
        """Inverse document frequency of an analysed term; highest for terms never seen."""
        return math.log((len(self.ids) + 1) / (self.doc_freq.get(term, 0) + 0.5))

    def search(self, terms: list[str], k: int) -> list[tuple[str, float]]:
        """Top ``k`` chunk ids for analysed ``terms`` (repeat a term to weight it), best first."""
        if not self.ids or not terms:
            return []
        vocab = self.model.vocab_dict
        known = [t for t in terms if t in vocab]
        if not known:
            return []
        scores = self.model.get_scores(known)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def vocabulary(self) -> set[str]:
        """The analysed terms present in the index."""
        return {t for t in self.model.vocab_dict if t}


def _bm25s():  # type: ignore[no-untyped-def]
    """Import bm25s lazily, undoing its import-time ``setLevel(DEBUG)`` on the "bm25s"
    logger, which otherwise prints "Building index from tokens" through any root handler."""
    import bm25s

    logger = logging.getLogger("bm25s")
    if logger.level == logging.DEBUG:
        logger.setLevel(logging.WARNING)
    return bm25s


class LexicalBuilder:
    """Collects chunks' analysed terms, as ingest produces them, for one BM25 build.

    Terms are kept as int32 ids into a shared vocabulary (a few bytes a term instead of a
    Python string each), so a 100k-chunk corpus costs tens of MB until :meth:`build`.
    """

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._rows: list[np.ndarray] = []
        self._vocab: dict[str, int] = {}
        self._words: set[str] = set()
        self._doc_freq: Counter[str] = Counter()
        self._built: LexicalIndex | None = None

    def add(self, chunk_id: str, text: str) -> None:
        """Analyse and keep one chunk."""
        self._built = None
        terms = analyse(text) or [""]
        vocab = self._vocab
        self._rows.append(np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), np.int32, len(terms)))
        self.ids.append(chunk_id)
        self._doc_freq.update(set(terms))
        self._words.update(words(text))

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the rows as one array (a worker process hands a 100k-chunk builder over:
        100k small arrays pickled one by one took seconds)."""
        state = dict(self.__dict__)
        rows = state.pop("_rows")
        state["_flat"] = np.concatenate(rows) if rows else np.zeros(0, np.int32)
        state["_lengths"] = np.fromiter((len(r) for r in rows), np.int64, len(rows))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        flat, lengths = state.pop("_flat"), state.pop("_lengths")
        self.__dict__.update(state)
        self._rows = np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []

    def chunk_ids(self) -> set[str]:
        """Ids of the chunks added so far."""
        return set(self.ids)

    def build(self) -> LexicalIndex:
        """The BM25 index of every chunk added (kept until the next :meth:`add`, so a worker
        process can build it and hand both over)."""
        if self._built is not None:
            return self._built
        bm25s = _bm25s()
        model = bm25s.BM25()
        ids, rows, vocab = self._canonical()
        if ids:
            model.index((rows, vocab), show_progress=False)
        self._built = LexicalIndex(
            model=model,
            ids=ids,
            fingerprint=fingerprint(ids),
            words=frozenset(self._words),
            doc_freq=dict(self._doc_freq),
        )
        return self._built


    def _canonical(self) -> tuple[list[str], list[np.ndarray], dict[str, int]]:
        """Rows in chunk-id order over a vocabulary numbered in term order: the same chunks
        give the same index whatever order they were added in (an ingest adds them as it
        writes them, another instance reads them back from a Chroma server), so ties rank
        alike everywhere.

        >>> b = LexicalBuilder(); b.add("b", "قال"); b.add("a", "قال")
        >>> b._canonical()[0]
        ['a', 'b']
        """
        order = sorted(range(len(self.ids)), key=self.ids.__getitem__)
        terms = sorted(self._vocab)
        renumber = np.zeros(len(self._vocab), np.int32)
        for new_id, term in enumerate(terms):
            renumber[self._vocab[term]] = new_id
        rows = [renumber[self._rows[i]] for i in order]
        return [self.ids[i] for i in order], rows, {term: i for i, term in enumerate(terms)}


def build(chunks: Iterable[Chunk]) -> LexicalIndex:
    """Index ``chunks`` (their analysed text) with BM25."""
    builder = LexicalBuilder()
    for chunk in chunks:
        builder.add(chunk.chunk_id, chunk.text)
    return builder.build()


def save_cache(index: LexicalIndex, folder: Path) -> None:
    """:func:`save`, for an index that can be rebuilt (a Chroma server's instance cache): two
    app processes sharing ``store_dir`` may save at once, so a lost race is only logged."""
    try:
        save(index, folder)
    except OSError as exc:
        logging.getLogger(__name__).info("BM25 cache not saved (another process saving?): %s", exc)


def save(index: LexicalIndex, folder: Path) -> None:
    """Write ``index`` to ``folder`` atomically (new folder, then rename over the old one)."""
    _remove_dead_temporaries(folder)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if index.ids:
        index.model.save(str(tmp))
    (tmp / "ids.json").write_text(json.dumps(index.ids), encoding="utf-8")
    (tmp / "words.json").write_text(json.dumps(sorted(index.words), ensure_ascii=False), encoding="utf-8")
    (tmp / "df.json").write_text(json.dumps(index.doc_freq, ensure_ascii=False), encoding="utf-8")
    meta = {"schema": LEXICAL_SCHEMA, "count": len(index.ids), "fingerprint": index.fingerprint}
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    _fsync_dir(tmp)
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def _remove_dead_temporaries(folder: Path) -> None:
    """Delete half-written ``<folder>.tmp-PID-…`` folders of processes that no longer run
    (a save killed mid-way); another live process's save is left alone."""
    for tmp in folder.parent.glob(f"{glob.escape(folder.name)}.tmp*"):
        pid = tmp.name[len(folder.name) + 5 :].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                continue  # still running
            except ProcessLookupError:
                pass
            except PermissionError:
                continue  # running, as another user
        shutil.rmtree(tmp, ignore_errors=True)


def load(folder: Path) -> LexicalIndex | None:
    """The index saved in ``folder``, or None when absent, partial or of another schema."""
    if not folder.exists():
        old = folder.with_name(folder.name + ".old")
        if not old.exists():
            return None
        folder = old  # a crash between the two renames of save(): the old index is whole
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        if meta.get("schema") != LEXICAL_SCHEMA or len(ids) != meta.get("count"):
            return None
        bm25s = _bm25s()

        model = bm25s.BM25.load(str(folder)) if ids else bm25s.BM25()
        vocabulary = frozenset(json.loads((folder / "words.json").read_text(encoding="utf-8")))
        doc_freq = json.loads((folder / "df.json").read_text(encoding="utf-8"))
        return LexicalIndex(
            model=model, ids=ids, fingerprint=str(meta["fingerprint"]), words=vocabulary, doc_freq=doc_freq
        )
    except (OSError, ValueError, KeyError):
        return None


def _fsync_dir(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
