"""Token counting: tiktoken when its encoding file is at hand, else a stated fallback.

tiktoken downloads encoding files on first use and its loader has no timeout, so an
offline machine could hang or wait. We therefore look for the cached file first
(``TIKTOKEN_CACHE_DIR`` / ``DATA_GYM_CACHE_DIR`` / the temp-dir default, named by the
SHA-1 of its URL) and only download when settings allow it, in a thread with a deadline.
The fallback counts one token per 3.5 characters of each word or mark, which is close
to cl100k's rate on Arabic news text; its name says so wherever the counter is reported.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.settings import Settings

_ENCODING_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "p50k_base": "https://openaipublic.blob.core.windows.net/encodings/p50k_base.tiktoken",
    "r50k_base": "https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken",
}
# SHA-256 of each file as tiktoken checks it (tiktoken_ext/openai_public.py). tiktoken deletes
# a cached file that fails this check and downloads it again, whatever our settings say.
_ENCODING_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "p50k_base": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    "r50k_base": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
}
_PIECE_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)
DOWNLOAD_DEADLINE_S = 10.0


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens of a text; ``name`` states which method is in use."""

    name: str
    _encoding: Any = None

    def count(self, text: str) -> int:
        """Number of tokens in ``text``."""
        if self._encoding is not None:
            return len(self._encoding.encode(text, disallowed_special=()))
        return sum(max(1, round(len(p) / 3.5)) for p in _PIECE_RE.findall(text))


FALLBACK = TokenCounter("approximate: 1 token per 3.5 characters of each word (no tiktoken file)")


def tiktoken_cache_file(encoding: str) -> Path | None:
    """Where tiktoken would find ``encoding``'s cached file, or None for an unknown encoding."""
    url = _ENCODING_URLS.get(encoding)
    if url is None:
        return None
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    base = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "data-gym-cache"
    return base / hashlib.sha1(url.encode()).hexdigest()


def _cache_is_valid(path: Path, encoding: str) -> bool:
    """True when ``path`` holds the genuine encoding file (tiktoken would use it as is)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest() == _ENCODING_SHA256[encoding]
    except OSError:
        return False


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


@lru_cache(maxsize=8)
def _counter(encoding: str, allow_download: bool) -> TokenCounter:
    cached = tiktoken_cache_file(encoding)
    if cached is not None and cached.exists() and _cache_is_valid(cached, encoding):
        loaded = _load_with_deadline(encoding, DOWNLOAD_DEADLINE_S)
    elif allow_download and os.environ.get("HF_HUB_OFFLINE") != "1":
        from assistant.netcheck import reachable

        ok = reachable("https://openaipublic.blob.core.windows.net")
        loaded = _load_with_deadline(encoding, DOWNLOAD_DEADLINE_S) if ok else None
    else:
        loaded = None
    return TokenCounter(f"tiktoken:{encoding}", loaded) if loaded is not None else FALLBACK


def get_token_counter(settings: Settings) -> TokenCounter:
    """The counter for these settings (cached per encoding; never blocks past its deadline)."""
    return _counter(settings.tiktoken_encoding, settings.allow_downloads)
