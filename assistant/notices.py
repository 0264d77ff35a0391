"""Notices said once per store, not once per command.

A log record that carries ``extra={ONCE_PER_STORE: key}`` (e.g. the "Embedding model
unavailable" warning) is let through by :class:`OncePerStoreFilter` the first time a
command meets ``key`` for a store, and then recorded in that store's
:data:`NOTICES_FILE`; later commands on the same store stay quiet about it. The state
itself is not hidden: ``status`` and every answer's ``mode`` still show which embedder
answers and why. A different key (another reason) is said again; deleting the file
brings every notice back. Records without the attribute pass untouched.

Only the command line installs the filter: the web app is one long process, which says
each notice once already.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path

ONCE_PER_STORE = "once_per_store"
NOTICES_FILE = "notices-shown.json"


def shown_notices(store_dir: Path) -> set[str]:
    """Keys of the notices already said for the store in ``store_dir`` (empty if unreadable)."""
    try:
        data = json.loads((store_dir / NOTICES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {key for key in data.get("shown", []) if isinstance(key, str)}


def record_notice(store_dir: Path, key: str) -> None:
    """Add ``key`` to the store's notices file (atomically; silently skipped if the store
    folder cannot be written: then the notice is simply said again next time)."""
    keys = sorted(shown_notices(store_dir) | {key})
    with contextlib.suppress(OSError):
        store_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=store_dir, prefix=".notices-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"shown": keys}, handle, ensure_ascii=False, indent=1)
            os.replace(tmp, store_dir / NOTICES_FILE)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


class OncePerStoreFilter(logging.Filter):
    """Lets each ``once_per_store`` notice through once per store (see the module doc)."""

    def __init__(self, store_dir: Path) -> None:
        super().__init__()
        self.store_dir = store_dir

    def filter(self, record: logging.LogRecord) -> bool:
        key = getattr(record, ONCE_PER_STORE, None)
        if not isinstance(key, str):
            return True
        if key in shown_notices(self.store_dir):
            return False
        record_notice(self.store_dir, key)
        return True


def say_notices_once_per_store(store_dir: Path) -> OncePerStoreFilter:
    """Install :class:`OncePerStoreFilter` on every handler of the root logger; return it."""
    notice_filter = OncePerStoreFilter(store_dir)
    for handler in logging.getLogger().handlers:
        handler.addFilter(notice_filter)
    return notice_filter
