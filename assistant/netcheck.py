"""A quick "is this host reachable?" check, so offline machines never sit in retries."""

from __future__ import annotations

import socket
from functools import lru_cache
from urllib.parse import urlparse

CHECK_TIMEOUT_S = 1.5


@lru_cache(maxsize=32)
def reachable(url: str, timeout_s: float = CHECK_TIMEOUT_S) -> bool:
    """True when a TCP connection to ``url``'s host and port opens within ``timeout_s``.

    DNS failure, refusal and timeout all mean False. Cached per process.
    """
    parsed = urlparse(url)
    host = parsed.hostname
    if not host:
        return False
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False
