"""Chroma as the store of record: chunk texts, metadata and vectors, one collection per embedder.

``make_store(settings, embedder)`` opens an embedded ``PersistentClient`` under
``settings.store_dir`` or, when ``ASSISTANT_CHROMA_HOST`` is set, an ``HttpClient``.
Telemetry is off. Collections are created with ``embedding_function=None`` (we always
pass vectors; Chroma's default ONNX function would try to download a model) and carry
``embedder``, ``dim``, ``schema`` and ``tokens`` (the token counter that sized the chunks)
in their metadata, checked on every open, so vectors of different embedders, schema
versions or chunkings are never mixed.

A chunk's text is stored in its metadata (key ``text``), not as a Chroma *document*:
Chroma builds a full-text (FTS5 trigram) index of every document, which this project
never queries (BM25 does lexical search) and which cost about 30% of Chroma's insert
time (100k chunks: 113 s to upsert with documents, 80 s with the text in metadata).
Per-article fields (title, date, language) live in the manifest, not on every chunk:
each metadata key is a row Chroma writes and indexes (9% of its insert time at 20k chunks).
Schema 2 is that layout; a schema-1 store is refused by ``ask`` and rebuilt by ``ingest``.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.errors import BackendError, StoreMismatchError, UserError
from assistant.models import Chunk
from assistant.settings import Settings

SCHEMA_VERSION = 2
TEXT_KEY = "text"
# Chroma writes its HNSW index to disk every this many inserts; the rest stays in its log and
# every new process replays it on its first query. At the default, 1,000, up to 999 vectors
# were replayed: 0.75 s of a cold `ask` at 100k chunks. At 100 the same ingest took the same
# time (10.7 vs 11.1 s for 20k chunks) and leaves at most 99 (none in that run).
HNSW_SYNC_THRESHOLD = 100
CHUNK_KEYS = ("source", "start", "end", "position")  # stored per chunk, beside TEXT_KEY
_MAX_BATCH = 5000
TEXT_BATCH = 100  # texts per metadata filter of ``vectors_by_text``
SERVER_CONNECT_TIMEOUT_S = 5.0
SERVER_MAJOR = "1"  # the Chroma API major version this client speaks (chromadb 1.5's server says 1.0.0)
# Chunks' stored metadata kept in memory by ``ChromaStore.get`` (least recently used dropped):
# a Chroma ``get`` of ~30 ids cost ~3 ms CPU per question on the 77-chunk bundled index, more
# than everything else retrieval does besides the encoder. A chunk's metadata is a few hundred
# bytes, so this bounds the cache at a few MB on any index.
CACHED_CHUNKS = 4096
# A collection of at most this many chunks is searched exactly in memory (one matrix product,
# ~0.05 ms) rather than by a Chroma query (~2.5 ms CPU at 25 chunks: the call, not the search).
# 100 is Chroma's default HNSW ``search_ef``: a graph search that keeps 100 candidates visits
# every node of a graph this small, so Chroma's own answer is already the exact ranking.
EXACT_SEARCH_MAX = 100


def collection_name(base: str, embedder_id: str) -> str:
    """A valid Chroma collection name (3-512 chars of [a-zA-Z0-9._-], alnum at both ends)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{base}-{embedder_id}")[:500].strip("-._")
    return name if len(name) >= 3 else f"{name}col"


def make_client(settings: Settings) -> Any:
    """Embedded or server Chroma client per settings; a clear error if the server is down
    or speaks another major version of Chroma's API."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not settings.chroma_host:
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store_dir / "chroma"), settings=chroma_settings)
    where = f"Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    try:
        _probe_server(settings.chroma_host, settings.chroma_port)
        client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        client.heartbeat()
        _bound_requests(client, settings.chroma_timeout_s)
        version = str(client.get_version())
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - any connection failure is a user-level message
        raise BackendError(
            f"{where} is not answering ({type(exc).__name__}); start it with `chroma run` "
            "or unset ASSISTANT_CHROMA_HOST"
        ) from None
    if version.split(".")[0] != SERVER_MAJOR:
        raise BackendError(_version_message(where, version))
    return client


def _version_message(where: str, version: str) -> str:
    """The refusal of a server whose Chroma major version this client cannot talk to."""
    return (
        f"{where} runs Chroma API version {version}; this assistant needs a {SERVER_MAJOR}.x server "
        "(run `chroma run` from the same Python environment as the assistant)"
    )


def _probe_server(host: str, port: int) -> None:
    """GET the server's heartbeat within ``SERVER_CONNECT_TIMEOUT_S`` or raise.

    Chroma's own HTTP client has no timeout at all (``httpx.Client(timeout=None)``), and its
    constructor already talks to the server: a server that accepts connections but never
    answers would hang it forever. A server without the v2 API (Chroma before 0.6) that
    answers the v1 version request is refused as too old, with its version.
    """
    import httpx
    from chromadb.api.fastapi import FastAPI

    url = FastAPI.resolve_url(chroma_server_host=host, chroma_server_http_port=port, default_api_path="").rstrip("/")
    response = httpx.get(f"{url}/api/v2/heartbeat", timeout=SERVER_CONNECT_TIMEOUT_S)
    if response.status_code == 404:
        old = httpx.get(f"{url}/api/v1/version", timeout=SERVER_CONNECT_TIMEOUT_S)
        if old.status_code == 200:
            raise BackendError(_version_message(f"Chroma server at {host}:{port}", old.json()))
    response.raise_for_status()


def server_answers(settings: Settings) -> bool:
    """Whether the configured Chroma server answers its heartbeat now (within the connect timeout)."""
    import httpx

    try:
        _probe_server(str(settings.chroma_host), settings.chroma_port)
        return True
    except (httpx.HTTPError, UserError, ValueError):
        return False


def _bound_requests(client: Any, timeout_s: float) -> None:
    """Give the client's HTTP session a timeout (Chroma sets none), when it has one to set."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout_s, connect=SERVER_CONNECT_TIMEOUT_S)


@dataclass
class ChromaStore:
    """One collection of chunks embedded by one embedder."""

    collection: Any
    embedder_id: str
    dim: int
    # Per-article fields (``title``, ``date``, ``language``) by source: the manifest's entries.
    articles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Stored metadata by chunk id, as ``get`` last read it (see ``CACHED_CHUNKS``); emptied by
    # every write through this object and by ``forget_cached`` (another writer changed the store).
    _cached: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _generation: int = field(default=0, repr=False)  # forget_cached calls: a read begun before one is not kept
    # (ids, unit vectors) of a collection of at most EXACT_SEARCH_MAX chunks; () when larger;
    # None until the first query reads it. Forgotten with ``_cached``.
    _small: tuple[list[str], np.ndarray] | tuple[()] | None = field(default=None, repr=False)

    def forget_cached(self) -> None:
        """Drop what ``get`` and ``query`` keep: the store was changed by another writer."""
        with self._cache_lock:
            self._cached.clear()
            self._small = None
            self._generation += 1

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self.collection.count())

    def upsert(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Insert or replace ``chunks`` with their vectors (idempotent: ids are deterministic)."""
        try:
            for i in range(0, len(chunks), _MAX_BATCH):
                part = chunks[i : i + _MAX_BATCH]
                self.collection.upsert(
                    ids=[c.chunk_id for c in part],
                    metadatas=[_stored_metadata(c) for c in part],
                    embeddings=np.asarray(vectors[i : i + _MAX_BATCH], dtype=np.float32),
                )
        finally:  # after the write (even a partial one): a read during it is not kept
            self.forget_cached()

    def write(self, chunks: list[Chunk], vectors: np.ndarray, stored: Set[str]) -> None:
        """Store ``chunks``: new ids with their vectors, ids already ``stored`` by metadata only.

        ``vectors`` holds one row per chunk *not* in ``stored``, in order: a chunk id hashes
        its source and text, so a stored id already has this embedder's vector for it (ingest
        does not compute it again); only its offsets may have moved (an edit earlier in the
        article). Re-sending the vector made Chroma re-insert a point its HNSW graph already
        held, and under load that rewiring now and then left a *new* chunk of the same batch
        unreachable: ``get`` had it, ``query`` never returned it (1 re-ingest in ~150 on a
        busy machine).
        """
        fresh = [c for c in chunks if c.chunk_id not in stored]
        kept = [c for c in chunks if c.chunk_id in stored]
        if len(vectors) != len(fresh):
            raise ValueError(f"{len(vectors)} vectors for {len(fresh)} chunks not stored yet")
        if fresh:
            self.upsert(fresh, vectors)
        try:
            for i in range(0, len(kept), _MAX_BATCH):
                part = kept[i : i + _MAX_BATCH]
                self.collection.update(
                    ids=[c.chunk_id for c in part], metadatas=[_stored_metadata(c) for c in part]
                )
        finally:  # moved offsets: what ``get`` kept of these chunks is stale
            self.forget_cached()

    def vectors_by_text(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vector of each of ``texts`` that some stored chunk has as its text (any
        source, any id). A metadata filter of ``TEXT_BATCH`` texts costs ~10-30 ms at 10k
        chunks: far less than a neural model's embedding, far more than the hashing model's."""
        wanted, found = list(dict.fromkeys(texts)), {}
        for i in range(0, len(wanted), TEXT_BATCH):
            got = self.collection.get(
                where={TEXT_KEY: {"$in": wanted[i : i + TEXT_BATCH]}}, include=["metadatas", "embeddings"]
            )
            for meta, vector in zip(got["metadatas"], got["embeddings"], strict=True):
                found[str(meta[TEXT_KEY])] = np.asarray(vector, dtype=np.float32)
        return found

    def delete(self, ids: Iterable[str]) -> None:
        """Remove chunks by id (missing ids are ignored)."""
        id_list = list(ids)
        try:
            for i in range(0, len(id_list), _MAX_BATCH):
                self.collection.delete(ids=id_list[i : i + _MAX_BATCH])
        finally:
            self.forget_cached()

    def ids_by_source(self) -> dict[str, set[str]]:
        """Every stored chunk id grouped by source file (one paged scan of metadata)."""
        grouped: dict[str, set[str]] = {}
        for ids, metas in self._pages(include=["metadatas"]):
            for chunk_id, meta in zip(ids, metas, strict=True):
                grouped.setdefault(str(meta.get("source", "")), set()).add(chunk_id)
        return grouped

    def all_ids(self) -> set[str]:
        """Every stored chunk id (ids only: 1.8 s at 100k chunks, metadata takes 5.4 s)."""
        return {chunk_id for ids, _ in self._pages(include=[]) for chunk_id in ids}

    def all_chunks(self) -> Iterator[Chunk]:
        """Every stored chunk, in pages (used to rebuild the BM25 index)."""
        for ids, metas in self._pages(include=["metadatas"]):
            for chunk_id, meta in zip(ids, metas, strict=True):
                yield self._chunk(chunk_id, meta)

    def _pages(self, include: list[str], page: int = _MAX_BATCH) -> Iterator[tuple[list, list]]:
        offset = 0
        while True:
            got = self.collection.get(include=include, limit=page, offset=offset)
            ids = got["ids"]
            if not ids:
                return
            yield ids, got.get("metadatas") or [{}] * len(ids)
            offset += len(ids)

    def get(self, ids: list[str]) -> dict[str, Chunk]:
        """Chunks by id (missing ids are absent from the result), in the order asked.

        Only the ids not read before are asked of Chroma (the rest come from ``_cached``); a
        chunk's article fields are joined from ``articles`` on every call, never cached.
        """
        if not ids:
            return {}
        wanted = list(dict.fromkeys(ids))
        with self._cache_lock:
            known = {i: self._cached[i] for i in wanted if i in self._cached}
            for chunk_id in known:
                self._cached.move_to_end(chunk_id)
            generation = self._generation
        missing = [i for i in wanted if i not in known]
        if missing:
            got = self.collection.get(ids=missing, include=["metadatas"])
            fetched = dict(zip(got["ids"], got["metadatas"], strict=True))
            with self._cache_lock:
                if generation == self._generation:  # else a write may have made it stale
                    self._cached.update(fetched)
                while len(self._cached) > CACHED_CHUNKS:
                    self._cached.popitem(last=False)
            known.update(fetched)
        return {i: self._chunk(i, known[i]) for i in wanted if i in known}

    def _chunk(self, chunk_id: str, meta: dict[str, Any]) -> Chunk:
        """A stored chunk from its metadata, with its article's fields from ``articles``."""
        article = self.articles.get(str(meta.get("source", ""))) or {}
        fields = {key: article[key] for key in ("title", "date", "language") if article.get(key)}
        return Chunk.from_metadata(chunk_id, str(meta.get(TEXT_KEY, "")), {**fields, **meta})

    def get_many(self, ids: list[str]) -> Iterator[Chunk]:
        """Chunks by id, fetched in pages (missing ids are skipped)."""
        for i in range(0, len(ids), _MAX_BATCH):  # not through ``get``: a bulk read, not cached
            got = self.collection.get(ids=ids[i : i + _MAX_BATCH], include=["metadatas"])
            yield from (self._chunk(c, m) for c, m in zip(got["ids"], got["metadatas"], strict=True))

    def get_source_ids(self, source: str) -> list[str]:
        """Ids of every stored chunk of one article."""
        return list(self.collection.get(where={"source": source}, include=[])["ids"])

    def get_source(self, source: str) -> list[Chunk]:
        """All chunks of one article, in reading order."""
        got = self.collection.get(where={"source": source}, include=["metadatas"])
        chunks = [self._chunk(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)]
        return sorted(chunks, key=lambda c: c.start)

    def query(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Ids of the ``k`` nearest chunks with cosine similarity, best first.

        A small collection (``EXACT_SEARCH_MAX``) is ranked in memory, exactly; a larger one by
        Chroma. No ``count()`` first: Chroma 1.5 returns fewer (or no) results when ``k``
        exceeds the collection, and counting scans it (5 ms a query at 100k chunks).
        """
        small = self._small_collection()
        if small:
            return _nearest(small[0], small[1], np.asarray(vector, dtype=np.float32), k)
        got = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, include=["distances"]
        )
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def _small_collection(self) -> tuple[list[str], np.ndarray] | tuple[()]:
        """Every id and unit vector of a collection of at most ``EXACT_SEARCH_MAX`` chunks, read
        once (one ``get`` of at most that many plus one); ``()`` for a larger collection."""
        small, generation = self._small, self._generation
        if small is None:
            got = self.collection.get(include=["embeddings"], limit=EXACT_SEARCH_MAX + 1)
            ids = list(got["ids"])
            small = ()
            if ids and len(ids) <= EXACT_SEARCH_MAX:
                vectors = np.asarray(got["embeddings"], dtype=np.float32)
                norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                small = (ids, vectors / np.where(norms > 0, norms, 1.0))
            with self._cache_lock:
                if generation == self._generation:  # else a write may have made it stale
                    self._small = small
        return small


def _nearest(ids: list[str], unit: np.ndarray, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
    """The ``k`` rows of ``unit`` most cosine-similar to ``vector`` as ``(id, similarity)``, best
    first (ties in stored order), as Chroma's cosine space ranks them."""
    norm = float(np.linalg.norm(vector))
    similarities = unit @ (vector / norm if norm > 0 else vector)
    order = np.argsort(-similarities, kind="stable")[:k]
    return [(ids[i], float(similarities[i])) for i in order]


def _stored_metadata(chunk: Chunk) -> dict[str, Any]:
    """What Chroma keeps of a chunk beside its vector: ``CHUNK_KEYS`` and the text."""
    meta = chunk.metadata()
    return {**{key: meta[key] for key in CHUNK_KEYS}, TEXT_KEY: chunk.text}


def open_store(
    client: Any, name: str, embedder_id: str, dim: int, create: bool, tokens: str | None = None
) -> ChromaStore | None:
    """Open (or create) the collection, refusing one made by another embedder or schema, or
    (when ``tokens`` names this machine's token counter) split by another token counter."""
    try:
        collection = client.get_collection(name, embedding_function=None)
    except Exception:  # noqa: BLE001 - chromadb raises different types for "not found"
        if not create:
            return None
        collection = client.create_collection(
            name,
            embedding_function=None,
            metadata={
                "embedder": embedder_id,
                "dim": dim,
                "schema": SCHEMA_VERSION,
                **({"tokens": tokens} if tokens else {}),
                "hnsw:space": "cosine",
                "hnsw:sync_threshold": HNSW_SYNC_THRESHOLD,
            },
        )
    meta = collection.metadata or {}
    if meta.get("embedder") != embedder_id or int(meta.get("dim", -1)) != dim:
        raise StoreMismatchError(
            f"collection {name} was built by {meta.get('embedder')} ({meta.get('dim')} dims), "
            f"not {embedder_id} ({dim} dims); run `python -m assistant ingest --rebuild`"
        )
    if int(meta.get("schema", 0)) != SCHEMA_VERSION:
        raise StoreMismatchError(
            f"collection {name} has index schema {meta.get('schema')}, this version needs {SCHEMA_VERSION}; "
            "run `python -m assistant ingest --rebuild`"
        )
    if tokens is not None and meta.get("tokens") != tokens:
        raise StoreMismatchError(
            f"collection {name} was split into chunks by {meta.get('tokens') or 'an unrecorded token counter'}, "
            f"not {tokens}, so its chunk boundaries differ; run `python -m assistant ingest --rebuild`"
        )
    return ChromaStore(collection=collection, embedder_id=embedder_id, dim=dim)


def drop_collection(client: Any, name: str) -> None:
    """Delete a collection if it exists (used by ``ingest --rebuild``)."""
    with contextlib.suppress(Exception):  # an absent collection is fine
        client.delete_collection(name)
