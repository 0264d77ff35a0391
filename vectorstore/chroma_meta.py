"""The small collection beside the chunks on a Chroma server: manifest, version stamp, claims.

With a Chroma server the server is the single store of record, so everything an app
instance needs besides the chunks lives in a second collection, ``<chunks>.meta``:

- ``file:<source>``: one manifest entry per ingested file (content hash, chunk ids, title…);
- ``stamp``: the index version, advanced by every ingest that changes anything, so a reader
  sees in one small read (~4 ms) whether its manifest and BM25 index are still current;
- ``claim:<token>``: a writer's claim on the ingest lease (see :mod:`assistant.lease`).

Chroma stores a vector with every record, so each carries the same 1-dimensional one.
The collection's metadata holds ``schema``; one of another version is refused, never
rewritten. This module reads and writes records; it does not decide who may write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistant.errors import StoreMismatchError

META_SCHEMA = 1
META_SUFFIX = ".meta"
_PAGE = 5000
_VECTOR = [1.0]  # Chroma needs a vector per record; these records are found by id or kind


@dataclass(frozen=True)
class Stamp:
    """The index version: ``version`` counts changing ingests; ``ids`` fingerprints the chunk ids."""

    version: int
    ids: str


@dataclass(frozen=True)
class Claim:
    """One writer's claim on the ingest lease (times are the *server's* clock, in ns)."""

    token: str
    holder: str
    claimed_ns: int
    expires_ns: int
    held: bool


def meta_name(chunks_name: str) -> str:
    """Name of the meta collection beside the chunk collection ``chunks_name``."""
    return chunks_name + META_SUFFIX


class ChromaMeta:
    """Reads and writes the records of one meta collection."""

    def __init__(self, client: Any, collection: Any) -> None:
        self.client = client
        self.collection = collection

    # --- manifest -------------------------------------------------------------------

    def files(self) -> dict[str, dict[str, Any]]:
        """Every manifest entry by source file (paged)."""
        entries: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            got = self.collection.get(
                where={"kind": "file"}, include=["metadatas"], limit=_PAGE, offset=offset
            )
            if not got["ids"]:
                return entries
            for meta in got["metadatas"]:
                entries[str(meta["source"])] = json.loads(str(meta["entry"]))
            offset += len(got["ids"])

    def write_files(self, entries: dict[str, dict[str, Any]]) -> None:
        """Insert or replace the manifest entries of ``entries`` (source -> entry)."""
        items = list(entries.items())
        for i in range(0, len(items), _PAGE):
            part = items[i : i + _PAGE]
            self.collection.upsert(
                ids=[f"file:{source}" for source, _ in part],
                embeddings=[_VECTOR] * len(part),
                metadatas=[
                    {
                        "kind": "file",
                        "source": source,
                        "entry": json.dumps(entry, ensure_ascii=False),
                    }
                    for source, entry in part
                ],
            )

    def delete_files(self, sources: Iterable[str]) -> None:
        """Remove the manifest entries of ``sources`` (absent ones are ignored)."""
        ids = [f"file:{source}" for source in sources]
        for i in range(0, len(ids), _PAGE):
            self.collection.delete(ids=ids[i : i + _PAGE])

    # --- version stamp --------------------------------------------------------------

    def stamp(self) -> Stamp | None:
        """The current index version (None before the first ingest): one small read."""
        got = self.collection.get(ids=["stamp"], include=["metadatas"])
        if not got["ids"]:
            return None
        meta = got["metadatas"][0]
        return Stamp(int(meta["version"]), str(meta["ids"]))

    def advance_stamp(self, ids_fingerprint: str) -> Stamp:
        """Advance the version (only the lease holder writes, so read-then-write is safe)."""
        current = self.stamp()
        stamp = Stamp((current.version if current else 0) + 1, ids_fingerprint)
        self.collection.upsert(
            ids=["stamp"],
            embeddings=[_VECTOR],
            metadatas=[{"kind": "stamp", "version": stamp.version, "ids": stamp.ids}],
        )
        return stamp

    # --- lease claims ---------------------------------------------------------------

    def server_ns(self) -> int:
        """The server's clock in ns (its heartbeat), so machines with skewed clocks agree."""
        return int(self.client.heartbeat())

    def claims(self) -> list[Claim]:
        """Every claim on the lease, live or expired."""
        got = self.collection.get(where={"kind": "claim"}, include=["metadatas"])
        return [
            Claim(
                token=str(meta["token"]),
                holder=str(meta["holder"]),
                claimed_ns=int(meta["claimed_ns"]),
                expires_ns=int(meta["expires_ns"]),
                held=bool(meta["held"]),
            )
            for meta in got["metadatas"]
        ]

    def put_claim(self, claim: Claim) -> None:
        """Write (or renew) a claim."""
        self.collection.upsert(
            ids=[f"claim:{claim.token}"],
            embeddings=[_VECTOR],
            metadatas=[
                {
                    "kind": "claim",
                    "token": claim.token,
                    "holder": claim.holder,
                    "claimed_ns": claim.claimed_ns,
                    "expires_ns": claim.expires_ns,
                    "held": claim.held,
                }
            ],
        )

    def delete_claims(self, tokens: Iterable[str]) -> None:
        """Remove claims by token."""
        ids = [f"claim:{token}" for token in tokens]
        if ids:
            self.collection.delete(ids=ids)


def open_meta(client: Any, chunks_name: str, create: bool) -> ChromaMeta | None:
    """Open (or create) the meta collection of ``chunks_name``; refuse another schema."""
    name = meta_name(chunks_name)
    try:
        collection = client.get_collection(name, embedding_function=None)
    except Exception:  # noqa: BLE001 - chromadb raises different types for "not found"
        if not create:
            return None
        collection = client.get_or_create_collection(
            name, embedding_function=None, metadata={"schema": META_SCHEMA, "chunks": chunks_name}
        )
    schema = (collection.metadata or {}).get("schema")
    if schema != META_SCHEMA:
        raise StoreMismatchError(
            f"collection {name} on the Chroma server has manifest schema {schema}, this version of "
            f"the assistant reads {META_SCHEMA}: it was written by another version; run that version, "
            "or point this one at another collection (ASSISTANT_COLLECTION)"
        )
    return ChromaMeta(client, collection)
