"""One writer across machines: the ingest lease held in a Chroma server's meta collection.

With embedded Chroma, :func:`assistant.index.writer_lock` (a file lock) keeps ingests one
at a time. With a server, app instances on different machines share no file system, so
the writer's right lives on the server as a *claim* record (holder = host, pid and a random
token; an expiry on the server's clock), renewed by a thread while the ingest runs.

Chroma has no compare-and-swap, so acquiring is "write, then read back":

1. if a live claim of another writer is visible, wait (or refuse, naming its holder);
2. write our claim, wait ``SETTLE_S``, read every claim again;
3. if ours is the only live one we hold the lease; otherwise withdraw ours and retry
   after a random pause.

Two writers A and B each write before they read, so at least one of them sees the other's
claim (if A read before B wrote, B's read comes after A's write): at most one sees itself
alone and wins. Both may withdraw; the random pause breaks the tie. A crashed holder's
claim expires after ``lease_seconds`` and is then deleted by the next claimant, whose
ingest repairs what the crash left (see :mod:`assistant.ingest`). A holder that cannot
renew in time (server gone, process stalled) stops writing: :meth:`ChromaLease.ensure`
raises before each write.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.errors import BackendError, UserError
from vectorstore.chroma_meta import ChromaMeta, Claim

log = logging.getLogger(__name__)
SETTLE_S = 0.25  # between writing a claim and reading the claims back
CONTENTION_S = 15.0  # how long two *unconfirmed* claimants keep retrying even with no wait
_NS = 1_000_000_000


class LeaseLost(BackendError):
    """This ingest can no longer be sure it is the only writer; it stops writing."""


def holder_name() -> str:
    """Who holds the lease, for messages: ``host pid N``."""
    return f"{socket.gethostname()} pid {os.getpid()}"


class ChromaLease:
    """The ingest lease on one meta collection (use :func:`chroma_lease`)."""

    def __init__(self, meta: ChromaMeta, lease_s: float) -> None:
        self.meta = meta
        self.lease_s = lease_s
        self.token = uuid.uuid4().hex
        self.holder = holder_name()
        self.claimed_ns = 0
        self._renewed = 0.0  # time.monotonic() of the last successful write of our claim
        self._lost: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _claim(self, now_ns: int, held: bool) -> Claim:
        return Claim(
            self.token, self.holder, self.claimed_ns, now_ns + int(self.lease_s * _NS), held
        )

    def _others(self) -> tuple[list[Claim], int]:
        """Live claims of other writers (expired ones are deleted) and the server time."""
        now = self.meta.server_ns()
        claims = self.meta.claims()
        expired = [c.token for c in claims if c.expires_ns <= now and c.token != self.token]
        if expired:
            log.warning("removing %d expired ingest lease claim(s)", len(expired))
            self.meta.delete_claims(expired)
        return [c for c in claims if c.expires_ns > now and c.token != self.token], now

    def try_acquire(self) -> list[Claim]:
        """One attempt: [] when we hold the lease now, else the other live claims seen."""
        others, now = self._others()
        if others:
            return others
        self.claimed_ns = now
        started = time.monotonic()
        self.meta.put_claim(self._claim(now, held=False))
        time.sleep(SETTLE_S)
        others, now = self._others()
        if others:
            self.meta.delete_claims([self.token])
            return others
        self.meta.put_claim(self._claim(now, held=True))
        self._renewed = started
        return []

    def acquire(self, wait_s: float) -> None:
        """Hold the lease, waiting up to ``wait_s`` for another holder; UserError naming it."""
        deadline = time.monotonic() + wait_s
        contention_deadline = time.monotonic() + max(wait_s, CONTENTION_S)
        while True:
            others = self.try_acquire()
            if not others:
                self._start_renewing()
                return
            held = [c for c in others if c.held]
            now = time.monotonic()
            if now >= (deadline if held else contention_deadline):
                raise UserError(_busy_message(held or others, self.meta.server_ns(), wait_s))
            time.sleep(random.uniform(0.1, 0.3) + (0.5 if held else 0.0))

    def _start_renewing(self) -> None:
        self._thread = threading.Thread(target=self._renew_loop, name="ingest-lease", daemon=True)
        self._thread.start()

    def _renew_loop(self) -> None:
        """Renew the claim every third of the lease until released or lost."""
        while not self._stop.wait(self.lease_s / 3):
            try:
                claims = {c.token: c for c in self.meta.claims()}
                now = self.meta.server_ns()
                mine = claims.get(self.token)
                if mine is None or mine.expires_ns <= now:
                    self._lost = "our claim expired or was removed before it could be renewed"
                    return
                self.meta.put_claim(self._claim(now, held=True))
                self._renewed = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - reported by ensure(), where the writes are
                log.warning("could not renew the ingest lease: %s", exc)

    def ensure(self) -> None:
        """Raise BackendError unless the lease is certainly still ours (call before writing)."""
        if self._lost is None and time.monotonic() - self._renewed > self.lease_s * 0.8:
            self._lost = f"it was last renewed {time.monotonic() - self._renewed:.0f} s ago"
        if self._lost is not None:
            raise LeaseLost(
                f"this ingest lost its writer lease on the Chroma server ({self._lost}); it stopped "
                "writing, and the next `ingest` completes the work"
            )

    def release(self) -> None:
        """Stop renewing and remove our claim (if the server is gone, it simply expires)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.meta.delete_claims([self.token])
        except Exception as exc:  # noqa: BLE001 - the claim expires on its own
            log.warning(
                "could not remove the ingest lease claim (it expires in %.0f s): %s",
                self.lease_s,
                exc,
            )


def _busy_message(claims: list[Claim], now_ns: int, wait_s: float) -> str:
    """One line naming who holds (or is taking) the lease and when it expires."""
    first = min(claims, key=lambda c: c.claimed_ns)
    running = (now_ns - first.claimed_ns) / _NS
    expires = (first.expires_ns - now_ns) / _NS
    waited = f" after waiting {wait_s:.0f} s" if wait_s > 0 else ""
    return (
        f"another ingest is writing to this index on the Chroma server ({first.holder}, for {running:.0f} s; "
        f"its lease runs {expires:.0f} s more unless renewed){waited}; wait for it to finish, "
        "or use `ingest --wait SECONDS`"
    )


@contextmanager
def chroma_lease(meta: ChromaMeta, lease_s: float, wait_s: float) -> Iterator[ChromaLease]:
    """Hold the ingest lease of ``meta``'s index for the duration of the block."""
    lease = ChromaLease(meta, lease_s)
    lease.acquire(wait_s)
    try:
        yield lease
    finally:
        lease.release()
