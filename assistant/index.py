"""The index as one object: embedder, Chroma collection, BM25 index, manifest, writer guard.

Embedded Chroma (the default): ``store_dir/chroma`` (Chroma), ``store_dir/<collection>.manifest.json``
(what was ingested: content hash and chunk ids per file), ``store_dir/<collection>.bm25``
(lexical index), ``store_dir/ingest.lock`` (the writer lock). The collection name includes
the embedder id, so switching embedders builds a separate index instead of mixing vectors.

With a Chroma server (``ASSISTANT_CHROMA_HOST``) the server is the store of record: the
manifest and a version stamp live in the collection ``<collection>.meta`` beside the chunks
(:mod:`vectorstore.chroma_meta`), the writer lock is a lease there (:mod:`assistant.lease`),
and ``store_dir`` only caches the BM25 index, built from the server's chunks on first use and
rebuilt when the stamp says the index changed (:meth:`Index.sync`), so every instance ranks
alike.

Reading (asking) never takes the lock; writing (ingest) always does.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import UserError
from assistant.settings import Settings
from assistant.tokens import get_token_counter
from vectorstore import lexical
from vectorstore.chroma_meta import ChromaMeta, Stamp, open_meta
from vectorstore.chroma_store import ChromaStore, collection_name, make_client, open_store
from vectorstore.embedders import Embedder, make_embedder

log = logging.getLogger(__name__)
MANIFEST_SCHEMA = 1


@dataclass
class Manifest:
    """Per-file record of what the index holds: ``{source: {hash, chunk_ids, title, ...}}``."""

    path: Path | None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read the manifest; a missing or unreadable one is empty (ingest then repairs)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("schema") == MANIFEST_SCHEMA:
                return cls(path, dict(data.get("files", {})))
        except (OSError, ValueError):
            pass
        return cls(path)

    def save(self) -> None:
        """Write atomically: temp file, fsync, rename."""
        assert self.path is not None
        tmp = self.path.with_suffix(".tmp")
        payload = json.dumps({"schema": MANIFEST_SCHEMA, "files": self.files}, ensure_ascii=False)
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def all_ids(self) -> set[str]:
        """Every chunk id the manifest expects in the store."""
        return {i for entry in self.files.values() for i in entry["chunk_ids"]}

    def saved_files(self) -> dict[str, dict[str, Any]]:
        """The entries as stored now (read back, not this object's copy)."""
        assert self.path is not None
        return type(self).load(self.path).files


class ChromaManifest(Manifest):
    """The manifest kept on a Chroma server (one record per file, see :mod:`vectorstore.chroma_meta`).

    ``save()`` writes only the entries that changed since the last save and deletes the
    removed ones, so recording a group of 200 files costs one upsert, not the whole manifest.
    """

    def __init__(self, meta: ChromaMeta, files: dict[str, dict[str, Any]]) -> None:
        super().__init__(path=None, files=files)
        self.meta = meta
        self._saved = {source: json.dumps(entry, sort_keys=True) for source, entry in files.items()}

    @classmethod
    def read(cls, meta: ChromaMeta) -> ChromaManifest:
        """The manifest as the server holds it now."""
        return cls(meta, meta.files())

    def save(self) -> None:
        """Write the changed entries, then delete the removed ones."""
        now = {source: json.dumps(entry, sort_keys=True) for source, entry in self.files.items()}
        changed = {s: self.files[s] for s, dumped in now.items() if self._saved.get(s) != dumped}
        removed = [s for s in self._saved if s not in now]
        if changed:
            self.meta.write_files(changed)
        if removed:
            self.meta.delete_files(removed)
        self._saved = now

    def saved_files(self) -> dict[str, dict[str, Any]]:
        return self.meta.files()


class WriterGuard:
    """What an ingest checks before each write; the embedded store's file lock cannot be
    lost while held (a Chroma server's lease can: :class:`assistant.lease.ChromaLease`)."""

    def ensure(self) -> None:
        """Nothing to check."""


@dataclass
class Index:
    """Everything needed to search: the embedder, the store, the lexical index, the manifest.

    ``meta`` and ``stamp`` are set with a Chroma server only: the meta collection, and the
    version of the index this object's manifest and BM25 index reflect.
    """

    settings: Settings
    embedder: Embedder
    client: Any
    name: str
    store: ChromaStore | None
    lexical: lexical.LexicalIndex | None
    manifest: Manifest
    meta: ChromaMeta | None = None
    stamp: Stamp | None = None
    synced: bool = False
    guard: Any = field(default_factory=WriterGuard)  # set by ingest to its writer guard

    @property
    def lexical_dir(self) -> Path:
        return self.settings.store_dir / f"{self.name}.bm25"

    def is_empty(self) -> bool:
        """True when nothing has been ingested for this embedder.

        A BM25 snapshot with chunks answers without asking Chroma: ``count()`` scans the
        collection (5 ms at 100k chunks) and this runs on every question.
        """
        if self.lexical is not None and self.lexical.ids:
            return False
        return self.store is None or self.store.count() == 0

    def refresh_lexical(self) -> None:
        """Load the saved BM25 index; rebuild it from Chroma if it is stale.

        With a Chroma server the rebuilt index is saved as this instance's cache (built
        from the manifest's chunks, in id order, so every instance builds the same index).
        """
        expected = lexical.fingerprint(self.manifest.all_ids())
        if self.lexical is not None and self.lexical.fingerprint == expected:
            return  # the stamp moved but the chunks did not (or this instance wrote them)
        loaded = lexical.load(self.lexical_dir)
        if loaded is not None and loaded.fingerprint == expected:
            self.lexical = loaded
        elif self.store is not None and self.meta is not None:
            log.info("building the BM25 index from the Chroma server's chunks")
            self.lexical = lexical.build(self.store.get_many(sorted(self.manifest.all_ids())))
            lexical.save_cache(self.lexical, self.lexical_dir)
        elif self.store is not None and self.store.count():
            log.warning("BM25 index missing or stale; rebuilding it from Chroma in memory")
            self.lexical = lexical.build(self.store.all_chunks())
        else:
            self.lexical = loaded

    def sync(self) -> bool:
        """With a Chroma server, follow other instances' ingests; True when anything changed.

        One small read of the version stamp (~4 ms) per call; when it moved, the manifest is
        read again and the BM25 index reloaded or rebuilt. Embedded: nothing to do.
        """
        if not self.settings.chroma_host:
            return False
        if self.meta is None:  # opened before the first ingest anywhere
            self.meta = open_meta(self.client, self.name, create=False)
            if self.meta is None:
                return False
        stamp = self.meta.stamp()
        if self.synced and stamp == self.stamp:
            return False
        if self.store is None:
            tokens = get_token_counter(self.settings).id
            self.store = open_store(
                self.client, self.name, self.embedder.id, self.embedder.dim, create=False, tokens=tokens
            )
        self.manifest = ChromaManifest.read(self.meta)
        if self.store is not None:
            self.store.articles = self.manifest.files
            self.store.forget_cached()  # chunks re-ingested elsewhere keep their ids, not offsets
            self.refresh_lexical()
        self.stamp, self.synced = stamp, True
        return True


def index_name(settings: Settings, embedder: Embedder) -> str:
    """Collection (and file prefix) name for this embedder."""
    return collection_name(settings.collection, embedder.id)


def open_index(settings: Settings, embedder: Embedder | None = None, create: bool = False) -> Index:
    """Open the index for reading (``create=False``) or writing; never mixes embedders."""
    embedder = embedder or make_embedder(settings)
    if not create and hasattr(embedder, "prepare_queries"):
        embedder.prepare_queries()  # the e5 engine's numpy query encoder loads meanwhile
    client = make_client(settings)
    name = index_name(settings, embedder)
    tokens = get_token_counter(settings).id  # chunks split by another counter differ
    if settings.chroma_host:
        return _open_server_index(settings, embedder, client, name, create, tokens)
    store = open_store(client, name, embedder.id, embedder.dim, create=create, tokens=tokens)
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.load(settings.store_dir / f"{name}.manifest.json")
    if store is not None:
        store.articles = manifest.files  # the same dict ingest updates
    index = Index(settings, embedder, client, name, store, None, manifest)
    if store is not None and not create:
        index.refresh_lexical()
    return index


def _open_server_index(
    settings: Settings, embedder: Embedder, client: Any, name: str, create: bool, tokens: str
) -> Index:
    """The index on a Chroma server: chunks, and manifest and stamp from its meta collection.

    The meta collection is checked first, so a store written by another version is refused
    before anything is read or written. Reading, the stamp is taken *before* the manifest:
    an ingest finishing in between then only makes the next :meth:`Index.sync` read again.
    """
    meta = open_meta(client, name, create=create)
    store = open_store(client, name, embedder.id, embedder.dim, create=create, tokens=tokens)
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    empty = Manifest(path=None)
    index = Index(settings, embedder, client, name, store, None, empty, meta=meta)
    if meta is None:
        return index
    if create:
        index.manifest = ChromaManifest.read(meta)
        if store is not None:
            store.articles = index.manifest.files
    else:
        index.sync()
    return index


@contextlib.contextmanager
def writer_lock(store_dir: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the single-writer lock of ``store_dir``; a clear UserError if another holds it.

    ``wait_s`` > 0 waits up to that long for the other writer to finish.
    """
    store_dir.mkdir(parents=True, exist_ok=True)
    path = store_dir / "ingest.lock"
    with open(path, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise UserError(
                        f"another ingest is running ({holder}); wait for it to finish "
                        "or use `ingest --wait SECONDS`"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
