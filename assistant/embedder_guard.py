"""Refuse to answer from an empty index when the store holds another embedder's index.

Each embedder has its own collection (the embedder id is part of its name), so switching
embedders never mixes vectors. But a store built with one embedder (say ``hashing``) and
opened with another (say the e5 engine, now the default) has nothing in the new one's
collection; building it silently on the first question could take hours for a large
collection. So ``ask`` refuses with a message saying what is there and the two ways out:
``ingest`` (builds this embedder's index; the other is kept) or configuring the embedder
that built it. A store with no index at all is still built on first use.
"""

from __future__ import annotations

from typing import Any

from assistant.errors import StoreMismatchError
from vectorstore.chroma_meta import META_SUFFIX
from vectorstore.chroma_store import collection_name


def other_embedder_indexes(client: Any, base: str, current: str) -> dict[str, int]:
    """``{embedder id: passages}`` of the non-empty chunk collections of ``base`` other than
    ``current`` (a chunk collection's ``.meta`` companion holds records, not passages).

    A collection belongs to ``base`` only when its name is exactly ``base`` joined with the
    embedder its metadata records: "articles-eval-…" in the same store is another base's
    index (another ``ASSISTANT_COLLECTION``), not another embedder's for "articles". One
    without that record (not made by this project's store) is counted under its name."""
    prefix = collection_name(base, "x")[:-1]  # the sanitised "<base>-"
    found: dict[str, int] = {}
    for collection in client.list_collections():
        name = str(getattr(collection, "name", collection))
        if name == current or not name.startswith(prefix) or name.endswith(META_SUFFIX):
            continue
        other = client.get_collection(name, embedding_function=None)
        embedder = (other.metadata or {}).get("embedder")
        if embedder is not None and collection_name(base, str(embedder)) != name:
            continue
        count = other.count()
        if count:
            found[str(embedder or name)] = count
    return found


def refuse_if_built_by_another_embedder(index: Any) -> None:
    """Raise :class:`StoreMismatchError` when ``index`` is empty but another embedder's is not."""
    others = other_embedder_indexes(index.client, index.settings.collection, index.name)
    if not others:
        return
    held = ", ".join(
        f"{count} passages by {embedder}" for embedder, count in sorted(others.items())
    )
    hint = (
        " or set ASSISTANT_EMBEDDER=hashing to use the existing index"
        if any(embedder.startswith("hashing") for embedder in others)
        else " or configure the embedder that built the existing index"
    )
    raise StoreMismatchError(
        f"this store was indexed with another embedder ({held}) and holds nothing for "
        f"{index.embedder.id}, the embedder in use; run `python -m assistant ingest` to index "
        f"the articles with it (the other index is kept),{hint}"
    )
