"""A Chroma server that goes away, hangs, or is of another version: clear, bounded, nothing lost.

These tests stop, freeze (SIGSTOP) or kill a server, so each starts a ``chroma run`` of
its own (:func:`tests.helpers_chroma.own_chroma_server`) instead of the session's shared one.
The one server that is not real is the too-old one: a stand-in answering only the version
request of Chroma's pre-0.6 API (installing an old Chroma beside this one is not an option).
"""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import BackendError
from assistant.index import open_index
from assistant.ingest import ingest
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from tests.conftest import cli_env
from tests.helpers_chroma import OwnServer, own_chroma_server
from tests.helpers_reliability import assert_index_matches_files, write_synthetic_corpus
from vectorstore.chroma_store import make_client

GENEROUS_S = 30.0  # a deadline for the product's bound, not for this machine's speed


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[OwnServer]:
    """A Chroma server owned by this test."""
    with own_chroma_server(tmp_path / "chroma-own") as server:
        yield server


def _on(settings: Settings, server: OwnServer, **update: object) -> Settings:
    return settings.model_copy(
        update={"chroma_host": "127.0.0.1", "chroma_port": server.port, **update}
    )


@pytest.mark.slow
def test_a_server_killed_before_a_question_gives_a_one_line_message_at_once(
    settings: Settings, own_server: OwnServer
) -> None:
    on_server = _on(settings, own_server)
    ingest(on_server)
    assistant = Assistant(on_server, open_index(on_server))
    assert assistant.ask("ماذا قال وانغ يي عن أوكرانيا؟").citations
    own_server.kill()
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        assistant.ask("ماذا قال لافروف عن الصين؟")
    assert time.monotonic() - started < GENEROUS_S
    message = str(caught.value)
    assert message.startswith(f"Chroma server at 127.0.0.1:{own_server.port} stopped answering")
    assert "\n" not in message


@pytest.mark.slow
def test_a_hung_server_is_reported_after_the_request_timeout_not_never(
    settings: Settings, own_server: OwnServer
) -> None:
    on_server = _on(settings, own_server, chroma_timeout_s=2.0)
    ingest(on_server)
    assistant = Assistant(on_server, open_index(on_server))
    assert own_server.process is not None
    os.kill(own_server.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(BackendError, match="stopped answering"):
            assistant.ask("What did Wang Yi say about Ukraine?")
        waited = time.monotonic() - started
    finally:
        os.kill(own_server.process.pid, signal.SIGCONT)
    assert 2.0 <= waited < 2.0 + GENEROUS_S


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_server_killed_mid_ingest_is_a_clear_error_and_the_next_ingest_completes_the_work(
    settings: Settings, own_server: OwnServer
) -> None:
    # 60 files: the ingest's first group (20 files) and a second one it is held before; a
    # bigger corpus only made the next ingest upsert more chunks over HTTP.
    write_synthetic_corpus(settings.data_dir, 60, seed=3)
    on_server = _on(settings, own_server)
    marks, release = settings.store_dir.parent / "marks.txt", settings.store_dir.parent / "release"
    # The real CLI ingest, held (tests/crash_ingest_child.py) as it is about to write its
    # second group, until the server is gone: the fault lands mid-ingest on any machine speed.
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_ingest_child"],
        env={
            **cli_env(on_server, {"ASSISTANT_LEASE_SECONDS": "10"}),  # expires 10 s after the fault
            "CRASH_MARKS": str(marks),
            "CRASH_AT": "ChromaStore.upsert:2",
            "CRASH_HOLD": str(release),
        },
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_hold(marks, proc)
    own_server.kill()
    release.touch()
    started = time.monotonic()
    _, err = proc.communicate(timeout=120 + GENEROUS_S)
    assert time.monotonic() - started < on_server.chroma_timeout_s + GENEROUS_S
    assert proc.returncode == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: Chroma server at 127.0.0.1:{own_server.port} "), err
    assert "again" in last

    own_server.start()  # same data folder, new port
    restarted = _on(settings, own_server)
    report = ingest(restarted, wait_s=60)
    assert report.added
    assert_index_matches_files(restarted)


def _wait_for_hold(marks: Path, proc: subprocess.Popen[str], timeout: float = 300) -> None:
    """Wait until the instrumented ingest says it is held at its step (generous deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the ingest ended (exit {proc.returncode}) before its hold"
        if marks.exists() and "hold " in marks.read_text(encoding="utf-8"):
            return
        time.sleep(0.02)
    pytest.fail(f"the ingest was not held in {timeout} s")


class _OldChroma(http.server.BaseHTTPRequestHandler):
    """Answers like a Chroma 0.5 server: no /api/v2, a version under /api/v1."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path == "/api/v1/version":
            body = b'"0.5.23"'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        """Quiet."""


def test_a_server_of_an_older_chroma_version_is_refused_with_its_version(
    settings: Settings,
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OldChroma)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with pytest.raises(BackendError) as caught:
            make_client(
                settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port})
            )
    finally:
        server.shutdown()
        server.server_close()
    message = str(caught.value)
    assert "0.5.23" in message and "1.x" in message and f"127.0.0.1:{port}" in message
