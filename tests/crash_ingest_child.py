"""``python -m assistant ingest`` with its steps marked, for the crash trials (issue 12).

Run as ``python -m tests.crash_ingest_child`` with ``CRASH_MARKS`` (a file) and
``CRASH_AT`` (``NAME:K``, the K-th call of step NAME; empty for none) in the environment.
Before each step of the ingest's work under the writer lock (opening the index, planning,
each guard check, preparation, embedding, every Chroma upsert and every delete of some
ids, every manifest save, the BM25 save) it appends ``step N NAME`` to the marks file. At
``CRASH_AT`` it appends ``kill N NAME`` instead, runs the step, and then waits to be
killed: the test sends SIGKILL as soon as it reads that line, so the kill lands inside
that step or right after it, never after the process has finished, however fast or
loaded the machine is. If the ingest never reaches ``CRASH_AT``, the point just before
the lock is released is the kill point (marked ``end``). With ``CRASH_HOLD`` (a path)
set, ``CRASH_AT`` instead waits until that file exists and the ingest then completes:
a writer held under the lock for as long as a test needs.

Nothing in the product changes: the real CLI entry runs (``runpy`` of the ``assistant``
package, as ``python -m assistant ingest`` does), with the functions below wrapped.
"""

from __future__ import annotations

import functools
import os
import runpy
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import assistant.ingest as ingest_module
from assistant.index import Manifest, WriterGuard
from vectorstore import lexical
from vectorstore.chroma_store import ChromaStore

WAIT_FOR_KILL_S = 300.0  # the test kills within milliseconds; this only ends an orphan

MARKS = Path(os.environ["CRASH_MARKS"])
# "NAME:K": the K-th call of step NAME (e.g. "ChromaStore.upsert:2"); empty: no kill point.
CRASH_AT = os.environ.get("CRASH_AT", "")
HOLD = Path(os.environ["CRASH_HOLD"]) if os.environ.get("CRASH_HOLD") else None
_steps = 0
_killed_at = 0
_calls: dict[str, int] = {}


def _mark(line: str) -> None:
    """Append one line to the marks file and flush it to the OS at once."""
    with open(MARKS, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _wait_for_kill() -> None:
    """Block until the test's SIGKILL arrives; exit 3 if it never does (an orphan)."""
    deadline = time.monotonic() + WAIT_FOR_KILL_S
    while time.monotonic() < deadline:
        time.sleep(0.05)
    os._exit(3)


def _hold_until_released() -> None:
    """Wait for the test to create the HOLD file; exit 3 if it never does (an orphan)."""
    deadline = time.monotonic() + WAIT_FOR_KILL_S
    while HOLD is not None and not HOLD.exists():
        if time.monotonic() > deadline:
            os._exit(3)
        time.sleep(0.02)


def _counted(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with a mark before it runs (and a wait for the kill after, at CRASH_AT)."""

    @functools.wraps(function)
    def step(*args: Any, **kwargs: Any) -> Any:
        global _steps, _killed_at
        if name == "ChromaStore.delete":  # one call per source, mostly of no ids: not a step
            args = (args[0], list(args[1]), *args[2:])
            if not args[1]:
                return function(*args, **kwargs)
        _steps += 1
        _calls[name] = _calls.get(name, 0) + 1
        if f"{name}:{_calls[name]}" != CRASH_AT:
            _mark(f"step {_steps} {name}")
            return function(*args, **kwargs)
        if HOLD is not None:
            _mark(f"hold {_steps} {name}")
            _hold_until_released()
            return function(*args, **kwargs)
        _killed_at = _steps
        _mark(f"kill {_steps} {name}")
        function(*args, **kwargs)
        _wait_for_kill()

    return step


def _last_point(function: Callable[..., Any]) -> Callable[..., Any]:
    """The ingest proper; if it ends before CRASH_AT, kill here, still under the lock."""

    @functools.wraps(function)
    def update(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        if CRASH_AT and not _killed_at and HOLD is None:
            _mark(f"kill {_steps + 1} end")
            _wait_for_kill()
        return result

    return update


def install() -> None:
    """Wrap every step of the ingest's work under the writer lock."""
    for name in ("_open_for_writing", "_plan", "prepare", "embed"):
        setattr(ingest_module, name, _counted(name, getattr(ingest_module, name)))
    ingest_module._update = _last_point(ingest_module._update)  # type: ignore[assignment]
    lexical.save = _counted("bm25-save", lexical.save)  # type: ignore[assignment]
    for cls, method in (
        (ChromaStore, "write"),  # one per batch of a group (new chunks go on to upsert)
        (ChromaStore, "upsert"),
        (ChromaStore, "delete"),
        (Manifest, "save"),
        (WriterGuard, "ensure"),
    ):
        setattr(cls, method, _counted(f"{cls.__name__}.{method}", getattr(cls, method)))


if __name__ == "__main__":
    install()
    sys.argv = ["assistant", "ingest"]
    runpy.run_module("assistant", run_name="__main__", alter_sys=True)
