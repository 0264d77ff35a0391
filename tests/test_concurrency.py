"""Concurrency (issue 8): simultaneous conversations, uploads while others chat, two writers.

No cross-talk is checked the strict way: every conversation is first answered alone,
one after the other, and the simultaneous run must give each session exactly its own
answers (answers are deterministic). Writers are checked with the same "index matches
the files" test as crash safety. The through-the-web tests drive the real Gradio app
with ``gradio_client`` (one ``Client`` per session).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from assistant.models import Answer
from assistant.service import Assistant
from tests.helpers_reliability import (
    PROJECT_ROOT,
    assert_index_matches_files,
    chat_texts,
    copy_real_articles,
    make_settings,
    offline_env,
    run_cli,
    running_app,
    web_client,
    write_synthetic_corpus,
)

SESSIONS = 20
QUESTIONS = [
    "ماذا قال لافروف عن الأزمة الأوكرانية؟",
    "What did Wang Yi say about Ukraine?",
    "أين التقى لافروف ووانغ يي؟",
    "ما هي منظمة شنغهاي للتعاون؟",
    "What did Putin discuss with the Chinese foreign minister?",
    "ماذا قال وزير الخارجية الصيني عن العلاقات مع روسيا؟",
    "متى عقد الاجتماع في الهند؟",
    "What is BRICS?",
    "ماذا بحث الرئيسان في موسكو؟",
    "ما موقف الصين من أوكرانيا؟",
]
FOLLOW_UPS = ["وماذا عن الصين؟", "And what about Russia?", "ماذا قال أيضاً؟", "When was that?"]
NEW_ARTICLE = "خبر مرفوع أثناء المحادثات\nافتتحت الجامعة الوطنية مختبراً جديداً لأبحاث الطاقة الشمسية في الشتاء.\n"
NEW_QUESTION = "ماذا افتتحت الجامعة الوطنية لأبحاث الطاقة الشمسية؟"


def conversation(i: int) -> tuple[str, str]:
    """Session ``i``'s first question and follow-up (different for neighbouring sessions)."""
    return QUESTIONS[i % len(QUESTIONS)], FOLLOW_UPS[(i // len(QUESTIONS) + i) % len(FOLLOW_UPS)]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("concurrency")
    copy_real_articles(root / "data")
    return Assistant.from_settings(make_settings(root))


def run_conversation(assistant: Assistant, i: int) -> tuple[Answer, Answer]:
    """Session ``i``: its question, then its follow-up with its own history."""
    first_q, second_q = conversation(i)
    first = assistant.ask(first_q)
    return first, assistant.ask(second_q, [(first_q, first.text)])


def simultaneously(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(0..count-1)`` in ``count`` threads released together; re-raise any failure."""
    barrier = threading.Barrier(count)

    def start(i: int) -> Any:
        barrier.wait(timeout=120)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count), timeout=300))


def test_twenty_simultaneous_conversations_each_get_their_own_answers(shared: Assistant) -> None:
    alone = [run_conversation(shared, i) for i in range(SESSIONS)]
    for _ in range(3):
        together = simultaneously(SESSIONS, lambda i: run_conversation(shared, i))
        assert together == alone


def essence(answers: tuple[Answer, Answer]) -> tuple[tuple[str, str, tuple], ...]:
    """What a user sees of a conversation: each question, answer text and citations."""
    return tuple((a.question, a.text, a.citations) for a in answers)


def test_chatting_while_an_upload_is_indexed_gives_no_error_and_the_upload_is_answerable(
    tmp_path: Path,
) -> None:
    copy_real_articles(tmp_path / "data")
    settings = make_settings(tmp_path)
    assistant = Assistant.from_settings(settings)
    before = [essence(run_conversation(assistant, i)) for i in range(8)]
    upload = tmp_path / "uploads" / "خبر مرفوع جديد.txt"
    upload.parent.mkdir()
    upload.write_text(NEW_ARTICLE, encoding="utf-8")

    def work(i: int) -> Any:
        if i == 8:
            return assistant.add_files([upload])
        return [essence(run_conversation(assistant, i)) for _ in range(3)]

    results = simultaneously(9, work)
    report, refused = results[8]
    assert report.added == ["خبر مرفوع جديد.txt"] and refused == []
    after = [essence(run_conversation(assistant, i)) for i in range(8)]
    for i, rounds in enumerate(results[:8]):
        assert all(seen in (before[i], after[i]) for seen in rounds)  # one index state or the other
    assert "خبر مرفوع جديد.txt" in {c.source for c in assistant.ask(NEW_QUESTION).citations}
    assert_index_matches_files(settings)


def _wait_for_lock(proc: subprocess.Popen[bytes], store: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        lock = store / "ingest.lock"
        if lock.exists() and lock.read_text(encoding="utf-8").strip() == f"pid {proc.pid}":
            return
        time.sleep(0.005)
    pytest.fail("the first ingest never took the writer lock")


def _second_ingest_while_first_runs(
    root: Path, *args: str, hold_first: bool = True
) -> tuple[int, subprocess.CompletedProcess[str]]:
    """Start one ingest, start another once the first holds the lock; (first's pid, second's result).

    With ``hold_first`` the first ingest pauses under the lock (at its planning step, see
    tests/crash_ingest_child.py) until the second has finished, so the second meets a held
    lock however fast either runs; without it the first runs freely (the ``--wait`` case).
    """
    env = offline_env(root)
    release = root / "release-first"
    first = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_ingest_child"],
        env={**env, "CRASH_MARKS": str(root / "marks"), "CRASH_AT": "_plan:1" if hold_first else "",
             "CRASH_HOLD": str(release)},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for_lock(first, root / "store")
    try:
        second = run_cli(env, "ingest", *args)
    finally:
        release.touch()
    assert first.wait(timeout=300) == 0
    return first.pid, second


@pytest.mark.slow
def test_a_second_ingest_is_refused_with_the_running_ones_pid(tmp_path: Path) -> None:
    write_synthetic_corpus(tmp_path / "data", 150)
    pid, second = _second_ingest_while_first_runs(tmp_path)
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert lines[-1] == (
        f"error: another ingest is running (pid {pid}); wait for it to finish or use `ingest --wait SECONDS`"
    )
    assert_index_matches_files(make_settings(tmp_path))


@pytest.mark.slow
def test_a_second_ingest_with_wait_runs_after_the_first_and_both_succeed(tmp_path: Path) -> None:
    write_synthetic_corpus(tmp_path / "data", 150)
    _, second = _second_ingest_while_first_runs(tmp_path, "--wait", "120", hold_first=False)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "150 unchanged" in second.stdout
    assert_index_matches_files(make_settings(tmp_path))


def expected_chat(assistant: Assistant, answers: tuple[Answer, ...]) -> list[tuple[str, str]]:
    """The chat a session must show after asking its conversation alone (each citation with
    its place in its article, as the page shows it)."""
    from assistant.web import Turn, WebHandlers, chat_messages

    handlers = WebHandlers(assistant)
    turns = [Turn(question=a.question, answer=a, positions=handlers.positions(a)) for a in answers]
    return [(m["role"], m["content"]) for m in chat_messages(turns)]


def web_conversation(url: str, i: int) -> list[tuple[str, str]]:
    """Session ``i`` through the page's API: a new client (session), question, follow-up."""
    client = web_client(url)
    first_q, second_q = conversation(i)
    client.predict(first_q, api_name="/ask")
    chat, _, _ = client.predict(second_q, api_name="/ask")
    return chat_texts(chat)


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A running page over its own temp index: (url, assistant, settings)."""
    root = tmp_path_factory.mktemp("web_concurrency")
    copy_real_articles(root / "data")
    settings = make_settings(root)
    assistant = Assistant.from_settings(settings)
    with running_app(assistant, settings) as url:
        yield url, assistant, settings


@pytest.mark.slow
def test_twenty_simultaneous_web_sessions_each_see_only_their_own_conversation(web_app) -> None:  # type: ignore[no-untyped-def]
    url, assistant, _ = web_app
    alone = [expected_chat(assistant, run_conversation(assistant, i)) for i in range(SESSIONS)]
    # Every session's conversation differs from every other's, so a session shown
    # another's chat (or a mix of two) cannot compare equal below.
    assert len({tuple(chat) for chat in alone}) == SESSIONS
    together = simultaneously(SESSIONS, lambda i: web_conversation(url, i))
    for i in range(SESSIONS):
        assert together[i] == alone[i], f"session {i} shows another conversation"


@pytest.mark.slow
def test_an_upload_through_the_page_while_others_chat_is_indexed_and_breaks_no_session(
    web_app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from gradio_client import handle_file

    url, assistant, settings = web_app
    before = [expected_chat(assistant, run_conversation(assistant, i)) for i in range(8)]
    upload = tmp_path / "خبر من الصفحة.txt"
    upload.write_text(NEW_ARTICLE, encoding="utf-8")

    def work(i: int) -> Any:
        if i == 8:
            return web_client(url).predict([handle_file(str(upload))], api_name="/upload")
        return web_conversation(url, i)

    results = simultaneously(9, work)
    assert "1 added" in results[8][0] and "خبر من الصفحة.txt" in results[8][0]
    after = [expected_chat(assistant, run_conversation(assistant, i)) for i in range(8)]
    for i in range(8):
        assert results[i] in (before[i], after[i])
    chat, _, _ = web_client(url).predict(NEW_QUESTION, api_name="/ask")
    assert "خبر من الصفحة.txt" in chat_texts(chat)[-1][1]
    assert_index_matches_files(settings)
