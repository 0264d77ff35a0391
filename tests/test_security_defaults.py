"""Security defaults (issue 8): local address, opt-in login, no share link, no telemetry,
secrets from the environment only and never shown, no article or question text in logs.

Each guarantee of ``SECURITY.md`` names the test here that checks it.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.errors import UserError
from assistant.ingest import ingest
from assistant.llm import describe_llm, make_llm
from assistant.service import Assistant
from assistant.settings import Settings, settings_table
from tests.fake_openai_server import FakeLLMServer, closed_port_url
from tests.helpers_reliability import (
    PROJECT_ROOT,
    copy_real_articles,
    free_port,
    make_settings,
    offline_env,
    run_cli,
    running_app,
    web_client,
)

SECRET = "sk-test-SECRET-7f3a9c1e5b"
URL_PASSWORD = "urlpw-SECRET-42"
ARTICLE_MARKER = "زمردةالسرية"  # a made-up word: appears only in the test article
QUESTION_MARKER = "Quetzalcoatlus"  # appears only in the test question
MARKED_ARTICLE = (
    f"خبر سري للاختبار\nقال الباحث إن {ARTICLE_MARKER} اكتشاف جديد في علم الآثار هذا العام.\n"
)


def test_the_web_server_binds_the_local_address_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    app = importlib.import_module("app")
    assert app.server_address() == ("127.0.0.1", 7860)


def test_launch_options_have_no_share_link_no_login_and_no_error_details_by_default() -> None:
    from assistant.web import launch_options

    options = launch_options(Settings(embedder="hashing"))
    assert options["share"] is False and options["auth"] is None and options["show_error"] is False
    assert options["max_file_size"] == Settings(embedder="hashing").max_file_bytes


def test_login_is_opt_in_and_a_malformed_setting_is_refused() -> None:
    from assistant.web import launch_options

    assert launch_options(Settings(embedder="hashing", auth="alice:s3cret"))["auth"] == (
        "alice",
        "s3cret",
    )
    for bad in ("alice", "alice:", ":s3cret"):
        with pytest.raises(UserError, match="user:password"):
            launch_options(Settings(embedder="hashing", auth=bad))


@pytest.mark.slow
@pytest.mark.parametrize("module", ["assistant.web", "app"])
def test_gradio_analytics_are_off_once_the_page_is_imported_whatever_the_environment(
    module: str,
) -> None:
    code = (
        f"import {module}, os, gradio.analytics as a; "
        "print(os.environ['GRADIO_ANALYTICS_ENABLED'], a.analytics_enabled())"
    )
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "True", "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["False", "False"], result.stderr[-2000:]


def test_chroma_telemetry_is_off(tmp_path: Path) -> None:
    from vectorstore.chroma_store import make_client

    assert make_client(make_settings(tmp_path)).get_settings().anonymized_telemetry is False


@pytest.fixture
def record_outbound(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """``start()`` records, from then on, every connection or name lookup to anything not local."""
    seen: list[str] = []
    local = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple) and str(address[0]) not in local:
            seen.append(f"connect {address[0]}")
        return real_connect(self, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host is not None and str(host) not in local:
            seen.append(f"lookup {host}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    def start() -> list[str]:
        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return seen

    return start


@pytest.mark.slow
def test_the_page_and_the_index_contact_nothing_but_localhost(
    tmp_path: Path, record_outbound: Callable[[], list[str]]
) -> None:
    from huggingface_hub.utils import build_hf_headers

    build_hf_headers()  # the *test* client's user-agent lookup (huggingface.co), cached from now on
    seen = record_outbound()
    copy_real_articles(tmp_path / "data")
    settings = make_settings(tmp_path)
    assistant = Assistant.from_settings(settings)
    with running_app(assistant, settings) as url:
        web_client(url).predict("ماذا قال لافروف؟", api_name="/ask")
        time.sleep(1.0)  # give background threads (analytics, version checks) time to try
    assert seen == []


@pytest.mark.slow
def test_login_when_enabled_is_required_by_the_api(tmp_path: Path) -> None:
    copy_real_articles(tmp_path / "data")
    settings = make_settings(tmp_path, auth="alice:s3cret")
    with running_app(Assistant.from_settings(settings), settings) as url:
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own types
            web_client(url).predict("ماذا قال لافروف؟", api_name="/ask")
        chat, _, _ = web_client(url, auth=("alice", "s3cret")).predict(
            "ماذا قال لافروف؟", api_name="/ask"
        )
        assert len(chat) == 2


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


@pytest.fixture
def app_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``python app.py`` on a temp index and a free port (stopped by pid at the end)."""
    copy_real_articles(tmp_path / "data")
    port = free_port()
    env = {**offline_env(tmp_path), "GRADIO_SERVER_PORT": str(port)}
    env.pop("GRADIO_SERVER_NAME", None)
    env.pop("GRADIO_ANALYTICS_ENABLED", None)
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process, port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.slow
def test_app_py_listens_on_127_0_0_1_only_and_prints_no_share_link(app_process) -> None:  # type: ignore[no-untyped-def]
    process, port = app_process
    output = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            break
        output.append(line)
        if line.startswith("Ready"):
            break
    text = "".join(output)
    assert f"http://127.0.0.1:{port}/" in text, text
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and nothing else
    assert "gradio.live" not in text and "share" not in text.lower()


def test_the_api_key_is_never_in_the_mode_banner_status_or_settings(tmp_path: Path) -> None:
    copy_real_articles(tmp_path / "data")
    base = make_settings(tmp_path)
    ingest(base)
    settings = make_settings(
        tmp_path,
        llm_provider="openai",
        llm_model="m",
        llm_api_key=SECRET,
        llm_base_url=f"http://user:{URL_PASSWORD}@127.0.0.1:9/v1",
    )
    assistant = Assistant(
        settings, Assistant.from_settings(base, auto_ingest=False).index, make_llm(settings)
    )
    shown = " ".join(
        [describe_llm(settings), str(assistant.mode), str(assistant.status()), settings_table()]
    )
    assert SECRET not in shown and URL_PASSWORD not in shown
    assert SECRET not in repr(settings) + str(settings)


def test_a_failing_llm_note_does_not_reveal_the_key_or_url_password(tmp_path: Path) -> None:
    copy_real_articles(tmp_path / "data")
    base = make_settings(tmp_path)
    ingest(base)
    url = closed_port_url().replace("http://", f"http://user:{URL_PASSWORD}@") + "/v1"
    settings = make_settings(
        tmp_path,
        llm_provider="openai",
        llm_model="m",
        llm_api_key=SECRET,
        llm_base_url=url,
        llm_timeout_s=2,
    )
    assistant = Assistant(
        settings, Assistant.from_settings(base, auto_ingest=False).index, make_llm(settings)
    )
    answer = assistant.ask("ماذا قال لافروف؟", [("من التقى؟", "لافروف")])
    assert answer.notes
    shown = " ".join([answer.text, *answer.notes, str(answer.to_dict())])
    assert SECRET not in shown and URL_PASSWORD not in shown


@pytest.fixture
def marked_root(tmp_path: Path) -> Path:
    """Bundled articles plus one with a made-up word, not yet ingested."""
    copy_real_articles(tmp_path / "data")
    (tmp_path / "data" / "marked.txt").write_text(MARKED_ARTICLE, encoding="utf-8")
    return tmp_path


def test_logs_below_debug_hold_no_question_article_text_or_key(
    marked_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = make_settings(marked_root)
    ingest(settings)
    offline = Assistant.from_settings(settings, auto_ingest=False)
    offline.ask(f"ماذا قال الباحث عن {ARTICLE_MARKER}؟ {QUESTION_MARKER}")
    offline.summarize(sources=["marked.txt"])
    with FakeLLMServer(mode="error") as server:
        llm_settings = make_settings(
            marked_root,
            llm_provider="openai",
            llm_model="m",
            llm_api_key=SECRET,
            llm_base_url=server.openai_url,
            llm_timeout_s=2,
        )
        failing = Assistant(llm_settings, offline.index, make_llm(llm_settings))
        failing.ask(f"وماذا عن {ARTICLE_MARKER}؟ {QUESTION_MARKER}", [(f"{QUESTION_MARKER}?", "…")])
        failing.summarize(sources=["marked.txt"])
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "nothing was logged: the check would be vacuous"
    assert ARTICLE_MARKER not in logged and QUESTION_MARKER not in logged and SECRET not in logged


@pytest.mark.slow
def test_the_cli_at_debug_level_never_prints_the_api_key(marked_root: Path) -> None:
    with FakeLLMServer(["NOT_IN_SOURCES"]) as server:
        env = offline_env(
            marked_root,
            llm_provider="openai",
            llm_model="m",
            llm_api_key=SECRET,
            llm_base_url=server.openai_url.replace("http://", f"http://user:{URL_PASSWORD}@"),
            log_level="DEBUG",
        )
        outputs = [
            run_cli(env, "ingest"),
            run_cli(env, "status"),
            run_cli(env, "ask", "ماذا قال لافروف؟"),
        ]
        assert server.requests, "the CLI never reached the model: the check would be vacuous"
    for result in outputs:
        assert result.returncode == 0, result.stderr[-2000:]
        assert SECRET not in result.stdout + result.stderr
        assert URL_PASSWORD not in result.stdout + result.stderr
    assert "DEBUG" in outputs[-1].stderr


@pytest.mark.slow
def test_the_cli_at_the_default_level_logs_no_question_or_article_text(marked_root: Path) -> None:
    env = offline_env(marked_root)
    outputs = [
        run_cli(env, "ingest"),
        run_cli(env, "ask", f"ماذا قال الباحث عن {ARTICLE_MARKER}؟ {QUESTION_MARKER}"),
    ]
    assert all(r.returncode == 0 for r in outputs)
    assert ARTICLE_MARKER in outputs[-1].stdout  # the answer itself quotes it, on stdout
    stderr = "".join(r.stderr for r in outputs)
    assert ARTICLE_MARKER not in stderr and QUESTION_MARKER not in stderr


def test_secrets_come_only_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"ASSISTANT_LLM_API_KEY={SECRET}\n", encoding="utf-8")
    assert Settings().llm_api_key is None
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", SECRET)
    key = Settings().llm_api_key
    assert key is not None and key.get_secret_value() == SECRET and SECRET not in repr(key)
