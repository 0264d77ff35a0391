"""Helpers for the tests that run several app instances against one real Chroma server.

- :func:`own_chroma_server`: a ``chroma run`` of the test's own (on a folder and an
  OS-chosen port), for tests that stop, freeze or kill the server; the session's shared
  server (fixture ``chroma_server``) must never be disturbed.
- :func:`instance`: settings of one more app instance on the same server and collection,
  with its own (empty) local folder.
- ``python -m tests.helpers_chroma lease HOST PORT COLLECTION OUT ROUNDS``: a process that
  takes the ingest lease ``ROUNDS`` times and appends each holding interval (system-wide
  monotonic clock) to ``OUT``; two of them show whether the lease ever has two holders.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import Settings

START_TIMEOUT_S = 120.0  # `chroma run` starts in seconds; a loaded machine needs more


@dataclass
class OwnServer:
    """A ``chroma run`` process this test owns: stop, freeze (SIGSTOP) or restart it."""

    path: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (or restart) the server on ``path``; wait until it answers."""
        chroma = Path(sys.executable).with_name("chroma")
        self.port = _free_port()
        log = open(self.path.with_suffix(f".{self.port}.log"), "wb")  # noqa: SIM115 - the process owns it
        self.process = subprocess.Popen(
            [
                str(chroma),
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not chroma_answers("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the server (as a crash or a pulled cable would) and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=30)


@contextlib.contextmanager
def own_chroma_server(path: Path) -> Iterator[OwnServer]:
    """A Chroma server on ``path`` for one test, killed at the end whatever happened."""
    server = OwnServer(path, 0)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_answers(host: str, port: int) -> bool:
    """True when a Chroma server at ``host:port`` answers its heartbeat within 1 s."""
    try:
        with urllib.request.urlopen(
            f"http://{host}:{port}/api/v2/heartbeat", timeout=1
        ) as response:
            return response.status == 200
    except OSError:
        return False


def instance(settings: Settings, root: Path) -> Settings:
    """Another app instance on ``settings``' server and collection, with an empty local
    store folder and an empty data folder of its own under ``root``."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    return settings.model_copy(update={"store_dir": root / "store", "data_dir": root / "data"})


def hold_lease_repeatedly(settings: Settings, out: Path, rounds: int) -> None:
    """Take the ingest lease ``rounds`` times, hold it briefly, append each interval to ``out``."""
    from assistant.index import index_name
    from assistant.lease import chroma_lease
    from vectorstore.chroma_meta import open_meta
    from vectorstore.chroma_store import make_client
    from vectorstore.embedders import make_embedder

    name = index_name(settings, make_embedder(settings))
    meta = open_meta(make_client(settings), name, create=True)
    assert meta is not None
    for _ in range(rounds):
        with chroma_lease(meta, lease_s=20, wait_s=120):
            started = time.monotonic()
            time.sleep(0.2)
            ended = time.monotonic()
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps([os.getpid(), started, ended]) + "\n")


def _main(argv: list[str]) -> int:
    if argv[:1] != ["lease"] or len(argv) != 6:
        print(
            "usage: python -m tests.helpers_chroma lease HOST PORT COLLECTION OUT ROUNDS",
            file=sys.stderr,
        )
        return 2
    host, port, collection, out, rounds = argv[1:]
    settings = Settings(
        embedder="hashing",
        allow_downloads=False,
        chroma_host=host,
        chroma_port=int(port),
        collection=collection,
    )
    hold_lease_repeatedly(settings, Path(out), int(rounds))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
