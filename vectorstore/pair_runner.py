"""Two independent computations at once: the caller runs the first, a helper thread the
second, unless the helper is not free to start it at once, and then the caller runs it too.

The numpy query encoder (:mod:`vectorstore.e5_numpy`) splits each layer's products in two
halves (attention heads 0-5 / 6-11, feed-forward units 0-767 / 768-1535), each on ONE BLAS
thread. numpy's OpenBLAS parallelises a product itself, but its workers busy-wait and on a
busy 2-core machine one product on two of its threads took 8x as long as on one. Here the
caller never waits for a helper that has not started: on an idle machine the halves run in
parallel, on a busy one the caller simply does both (work taken back, not waited for).

The result does not depend on who ran what: each half is the same function of the same
data, and the caller combines them in a fixed order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_IDLE, _OFFERED, _RUNNING, _DONE = range(4)


class PairRunner:
    """``pair(first, second) -> (first(), second())`` with ``second`` offered to a helper
    thread (a daemon, started on first use). One caller at a time (callers hold a lock);
    after a ``fork`` the child has no helper and simply runs both."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._state = _IDLE
        self._task: Callable[[], object] | None = None
        self._outcome: tuple[object, BaseException | None] = (None, None)
        self._helper: threading.Thread | None = None

    def pair(self, first: Callable[[], T], second: Callable[[], T]) -> tuple[T, T]:
        """Both results, in order; an exception of either is raised here."""
        self._start_helper()
        with self._cond:
            self._task, self._state = second, _OFFERED
            self._cond.notify()
        try:
            mine = first()
        finally:
            taken_back, theirs, error = self._collect()
        if taken_back:
            return mine, second()
        if error is not None:
            raise error
        return mine, theirs  # type: ignore[return-value]

    def _collect(self) -> tuple[bool, object, BaseException | None]:
        """Take the offer back if the helper has not started it, else wait for its outcome."""
        with self._cond:
            if self._state == _OFFERED:
                self._task, self._state = None, _IDLE
                return True, None, None
            while self._state != _DONE:
                self._cond.wait()
            (result, error), self._outcome = self._outcome, (None, None)
            self._state = _IDLE
            return False, result, error

    def _start_helper(self) -> None:
        if self._helper is None or not self._helper.is_alive():
            self._helper = threading.Thread(target=self._serve, name="e5-numpy-half", daemon=True)
            self._helper.start()

    def _serve(self) -> None:
        """The helper: wait for an offer, run it, hand back its result or exception."""
        while True:
            with self._cond:
                while self._state != _OFFERED:
                    self._cond.wait()
                task, self._task, self._state = self._task, None, _RUNNING
            try:
                outcome: tuple[object, BaseException | None] = (task(), None)  # type: ignore[misc]
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
                outcome = (None, exc)
            with self._cond:
                self._outcome, self._state = outcome, _DONE
                self._cond.notify_all()


def run_serially(first: Callable[[], T], second: Callable[[], T]) -> tuple[T, T]:
    """``(first(), second())`` in this thread: the runner for one CPU."""
    return first(), second()
