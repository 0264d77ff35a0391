"""The baseline: LangChain's stock hybrid retriever over the very chunks we indexed.

``EnsembleRetriever`` (langchain-classic) fuses a ``BM25Retriever`` (langchain-community,
rank_bm25 with its default whitespace preprocessing, no Arabic analysis) and a
``langchain_chroma.Chroma`` retriever over a *separate* collection embedded by our own
embedder through a LangChain ``Embeddings`` adapter, with the library's defaults (equal
weights, RRF constant 60). Both sides get the candidate depth we use (``CANDIDATES``), so
quality differences come from the method, not from a shallower list.

Chunks are read back from our Chroma store, so both stacks search identical passages.
The building time (BM25 + embedding + Chroma insert) is reported, but the comparison
that matters is query latency and hit@3 on the same questions. Needs
``langchain-community``, ``langchain-classic`` and ``rank-bm25`` (the test extra).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from eval.bench_measure import Query, peak_rss_mb, quality, timed_queries

COLLECTION = "langchain-bench"
BATCH = 5000


class EmbedderAdapter(Embeddings):
    """Our :class:`vectorstore.embedders.Embedder` as a LangChain ``Embeddings``."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors of ``texts``, as lists (what LangChain's Chroma expects)."""
        return self.embedder.embed_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Vector of one query."""
        return self.embedder.embed_query(text).tolist()


def import_baseline() -> tuple[Any, Any, Any]:
    """``(BM25Retriever, EnsembleRetriever, Chroma)``, or ImportError naming the packages."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.retrievers import BM25Retriever
        from langchain_chroma import Chroma
        from langchain_classic.retrievers import EnsembleRetriever
    except ImportError as exc:
        raise ImportError(
            f"the LangChain baseline needs {exc.name}: "
            "pip install langchain-community langchain-classic rank-bm25 langchain-chroma"
        ) from exc
    return BM25Retriever, EnsembleRetriever, Chroma


def chroma_client(settings: Any, persist: Path | None) -> Any:
    """A Chroma client for the baseline: the same server as ours, else its own folder."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    quiet = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=quiet
        )
    if persist is None:
        raise ValueError("embedded mode needs a folder for LangChain's Chroma (--persist)")
    return chromadb.PersistentClient(path=str(persist), settings=quiet)


def build_baseline(
    chunks: Sequence[Any], embedder: Any, client: Any, k: int
) -> tuple[Any, dict[str, float]]:
    """The stock ensemble over ``chunks``, with the seconds each part took to build."""
    bm25_cls, ensemble_cls, chroma_cls = import_baseline()
    texts = [c.text for c in chunks]
    metadatas = [{"source": c.source} for c in chunks]
    ids = [c.chunk_id for c in chunks]
    started = time.perf_counter()
    bm25 = bm25_cls.from_texts(texts, metadatas=metadatas, ids=ids, k=k)
    bm25_s = time.perf_counter() - started
    store = chroma_cls(
        collection_name=COLLECTION, embedding_function=EmbedderAdapter(embedder), client=client
    )
    started = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        store.add_texts(
            texts[i : i + BATCH], metadatas=metadatas[i : i + BATCH], ids=ids[i : i + BATCH]
        )
    chroma_s = time.perf_counter() - started
    dense = store.as_retriever(search_kwargs={"k": k})
    ensemble = ensemble_cls(retrievers=[bm25, dense], weights=[0.5, 0.5])
    return ensemble, {
        "langchain_bm25_build_s": round(bm25_s, 3),
        "langchain_chroma_build_s": round(chroma_s, 3),
    }


def measure_langchain(queries: Sequence[Query], persist: Path | None) -> dict[str, Any]:
    """Build the baseline on our stored chunks and time it on the shared query set."""
    from assistant.index import open_index
    from assistant.retrieval import CANDIDATES
    from assistant.settings import Settings

    settings = Settings()
    index = open_index(settings)
    if index.store is None:
        raise RuntimeError("no index to read chunks from: run our side first")
    chunks = list(index.store.all_chunks())
    client = chroma_client(settings, persist)
    ensemble, result = build_baseline(chunks, index.embedder, client, CANDIDATES)

    def search(question: str) -> list[str]:
        return [str(d.metadata.get("source", "")) for d in ensemble.invoke(question)]

    stats, ranked = timed_queries(queries, search, "langchain")
    result.update(stats)
    result.update(
        {
            k.replace("hit3", "langchain_hit3"): v
            for k, v in quality(ranked, queries, "hit3").items()
        }
    )
    result["langchain_chunks"] = len(chunks)
    result["langchain_peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result
