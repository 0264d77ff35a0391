"""The on-disk index as one object: embedder, Chroma collection, BM25 index, manifest, lock.

Paths: ``store_dir/chroma`` (embedded Chroma), ``store_dir/<collection>.manifest.json``
(what was ingested: content hash and chunk ids per file), ``store_dir/<collection>.bm25``
(lexical index), ``store_dir/ingest.lock``. The collection name includes the embedder
id, so switching embedders builds a separate index instead of mixing vectors.

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
from vectorstore.chroma_store import ChromaStore, collection_name, make_client, open_store
from vectorstore.embedders import Embedder, make_embedder

log = logging.getLogger(__name__)
MANIFEST_SCHEMA = 1


@dataclass
class Manifest:
    """Per-file record of what the index holds: ``{source: {hash, chunk_ids, title, ...}}``."""

    path: Path
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


@dataclass
class Index:
    """Everything needed to search: the embedder, the store, the lexical index, the manifest."""

    settings: Settings
    embedder: Embedder
    client: Any
    name: str
    store: ChromaStore | None
    lexical: lexical.LexicalIndex | None
    manifest: Manifest

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
        """Load the saved BM25 index; rebuild it in memory from Chroma if it is stale."""
        loaded = lexical.load(self.lexical_dir)
        expected = lexical.fingerprint(self.manifest.all_ids())
        if loaded is not None and loaded.fingerprint == expected:
            self.lexical = loaded
        elif self.store is not None and self.store.count():
            log.warning("BM25 index missing or stale; rebuilding it from Chroma in memory")
            self.lexical = lexical.build(self.store.all_chunks())
        else:
            self.lexical = loaded


def index_name(settings: Settings, embedder: Embedder) -> str:
    """Collection (and file prefix) name for this embedder."""
    return collection_name(settings.collection, embedder.id)


def open_index(settings: Settings, embedder: Embedder | None = None, create: bool = False) -> Index:
    """Open the index for reading (``create=False``) or writing; never mixes embedders."""
    embedder = embedder or make_embedder(settings)
    client = make_client(settings)
    name = index_name(settings, embedder)
    tokens = get_token_counter(settings).id  # chunks split by another counter differ
    store = open_store(client, name, embedder.id, embedder.dim, create=create, tokens=tokens)
    if not settings.chroma_host:
        settings.store_dir.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.load(settings.store_dir / f"{name}.manifest.json")
    if store is not None:
        store.articles = manifest.files  # the same dict ingest updates
    index = Index(settings, embedder, client, name, store, None, manifest)
    if store is not None and not create:
        index.refresh_lexical()
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
