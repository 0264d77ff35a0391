"""Several app instances, one index: a real ``chroma run`` server as the single store of record.

Instance A ingests; instance B has an empty local folder (no manifest, no BM25 index, no
articles) and must answer exactly as A does, follow A's later ingests, and share the one
writer lease with it. Every test uses the session's server (fixture ``chroma_server``) with
a collection of its own (fixture ``server_settings``), so tests never see each other's data.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.errors import StoreMismatchError, UserError
from assistant.index import index_name, open_index
from assistant.ingest import ingest
from assistant.lease import chroma_lease
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from eval.qafile import load_questions
from tests.conftest import cli_env
from tests.helpers_chroma import instance
from tests.helpers_reliability import assert_index_matches_files, write_synthetic_corpus
from vectorstore import lexical
from vectorstore.chroma_meta import META_SCHEMA, meta_name, open_meta
from vectorstore.chroma_store import make_client
from vectorstore.embedders import make_embedder

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
# The killed ingest's lease: its claim expires this long after the kill. Short, so the test
# waits little; longer than one write to a busy server, so it is not lost before the kill.
SHORT_LEASE_S = "10"
PLANTED = "وقال المتحدث باسم الوزارة إن فريق الشطرنج البطريقي في أنتاركتيكا فاز بالبطولة القارية."


def _questions(per_language: int = 4) -> list[str]:
    """The first answerable evaluation questions of each language."""
    rows = [q for q in load_questions(QUESTIONS) if q.answerable]
    return [
        q.question
        for lang in ("ar", "en")
        for q in [r for r in rows if r.lang == lang][:per_language]
    ]


def _answer_view(assistant: Assistant, question: str) -> dict:
    """What must be identical between instances: retrieved list (ids, scores), text, quotes."""
    answer = assistant.ask(question)
    return {
        "retrieved": [r.to_dict() for r in answer.retrieved],
        "text": answer.text,
        "citations": [c.to_dict() for c in answer.citations],
        "abstained": answer.abstained,
    }


def _meta(settings: Settings):  # type: ignore[no-untyped-def]
    name = index_name(settings, make_embedder(settings))
    return open_meta(make_client(settings), name, create=False)


@pytest.mark.slow
def test_instance_b_with_an_empty_folder_answers_exactly_as_instance_a_in_arabic_and_english(
    server_settings: Settings, tmp_path: Path
) -> None:
    ingest(server_settings)
    a = Assistant(server_settings, open_index(server_settings))
    b_settings = instance(server_settings, tmp_path / "b")
    b = Assistant(b_settings, open_index(b_settings))

    questions = _questions()
    assert {"ar", "en"} <= {a.ask(q).language for q in questions}
    for question in questions:
        assert _answer_view(b, question) == _answer_view(a, question), question
    assert a.articles() == b.articles()
    built = lexical.load(b.index.lexical_dir)
    assert built is not None and sorted(built.ids) == sorted(a.index.lexical.ids), (
        "B cached its BM25 index"
    )
    assert (
        not any(b_settings.store_dir.glob("*.manifest.json"))
        and not (b_settings.store_dir / "chroma").exists()
    )


@pytest.mark.slow
def test_a_changed_article_ingested_by_a_reaches_b_at_its_next_question(
    server_settings: Settings, tmp_path: Path
) -> None:
    ingest(server_settings)
    b_settings = instance(server_settings, tmp_path / "b")
    b = Assistant(b_settings, open_index(b_settings))
    question = "ما الفريق الذي فاز بالبطولة القارية للشطرنج؟"
    assert not any("الشطرنج" in c.quote for c in b.ask(question).citations)

    article = sorted(server_settings.data_dir.glob("*.txt"))[2]
    article.write_text(
        article.read_text(encoding="utf-8") + "\n\n" + PLANTED + "\n", encoding="utf-8"
    )
    report = ingest(server_settings)
    assert report.updated == [article.name]

    answer = b.ask(question)
    assert answer.retrieved[0].chunk.source == article.name
    assert any("الشطرنج البطريقي" in c.quote and c.source == article.name for c in answer.citations)
    a = Assistant(server_settings, open_index(server_settings))
    assert _answer_view(b, question) == _answer_view(a, question)
    assert lexical.load(b.index.lexical_dir).fingerprint == a.index.lexical.fingerprint


@pytest.mark.slow
def test_two_simultaneous_ingests_from_two_folders_write_once_with_no_duplicate_and_nothing_lost(
    server_settings: Settings, tmp_path: Path
) -> None:
    instances = []
    for label in ("one", "two"):
        other = instance(server_settings, tmp_path / label)
        shutil.rmtree(other.data_dir)
        shutil.copytree(server_settings.data_dir, other.data_dir)
        instances.append(other)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "assistant", "ingest", "--wait", "120"],
            env=cli_env(settings),
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for settings in instances
    ]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    summaries = sorted(out.strip().splitlines()[-1] for out, _ in outputs)
    articles = len(list(server_settings.data_dir.glob("*.txt")))
    assert summaries[0].startswith(f"0 added, 0 updated, 0 removed, {articles} unchanged"), (
        summaries
    )
    assert summaries[1].startswith(f"{articles} added, 0 updated"), summaries
    for settings in instances:
        assert_index_matches_files(settings)
    assert _meta(server_settings).claims() == [], "a lease claim was left behind"


@pytest.mark.slow
def test_two_processes_taking_the_lease_at_once_never_hold_it_together(
    server_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "intervals.jsonl"
    rounds = 4
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1")
    command = [
        sys.executable, "-m", "tests.helpers_chroma", "lease", str(server_settings.chroma_host),
        str(server_settings.chroma_port), server_settings.collection, str(out), str(rounds),
    ]  # fmt: skip
    procs = [
        subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    errors = [proc.communicate(timeout=300)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    intervals = sorted(json.loads(line) for line in out.read_text().splitlines())
    intervals.sort(key=lambda row: row[1])
    assert len(intervals) == 2 * rounds and len({pid for pid, _, _ in intervals}) == 2
    for (_, _, ended), (_, started, _) in zip(intervals, intervals[1:], strict=False):
        assert started >= ended, f"two holders at once: {intervals}"


@pytest.mark.slow
def test_a_second_ingest_is_refused_with_a_message_naming_the_lease_holder(
    server_settings: Settings,
) -> None:
    ingest(server_settings)
    meta = _meta(server_settings)
    with chroma_lease(meta, lease_s=20, wait_s=0) as lease:
        started = time.monotonic()
        with pytest.raises(UserError) as refused:
            ingest(server_settings, wait_s=1)
        assert time.monotonic() - started < 30
    message = str(refused.value)
    assert (
        lease.holder in message and "another ingest is writing" in message and "--wait" in message
    )
    assert len(ingest(server_settings).unchanged) == 5, "the lease was released"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_sigkilled_ingest_is_repaired_by_the_next_once_its_lease_expires(
    server_settings: Settings, tmp_path: Path
) -> None:
    settings = server_settings  # the repair below keeps the default lease
    # 60 files: the ingest's first group (20 files) and a second one to be killed in; a
    # bigger corpus only made the repair upsert more chunks over HTTP.
    write_synthetic_corpus(settings.data_dir, 60, seed=16)
    total = len(list(settings.data_dir.glob("*.txt")))
    marks = tmp_path / "marks.txt"
    # The real CLI ingest, marking its steps; it waits to be killed once it starts writing
    # its second group (the first is recorded on the server by then), so the kill lands
    # mid-ingest however fast the machine is (tests/crash_ingest_child.py).
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_ingest_child"],
        env={
            **cli_env(settings, {"ASSISTANT_LEASE_SECONDS": SHORT_LEASE_S}),
            "CRASH_MARKS": str(marks),
            "CRASH_AT": "ChromaStore.upsert:2",
        },
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_kill_mark(marks, proc)
    recorded = len(_meta(settings).files())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert 0 < recorded < total
    assert _meta(settings).claims(), "the killed ingest's claim is still on the server"

    report = ingest(settings, wait_s=60)
    assert report.added, report.summary()
    assert_index_matches_files(settings)
    assert _meta(settings).claims() == []


def _wait_for_kill_mark(marks: Path, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    """Wait until the instrumented ingest says it reached its kill point (generous deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, (
            f"the ingest ended (exit {proc.returncode}) before its kill point"
        )
        if marks.exists() and "kill " in marks.read_text(encoding="utf-8"):
            return
        time.sleep(0.02)
    pytest.fail(f"the ingest did not reach its kill point in {timeout} s")


@pytest.mark.slow
def test_a_manifest_collection_of_another_schema_is_refused_not_rewritten(
    server_settings: Settings,
) -> None:
    name = index_name(server_settings, make_embedder(server_settings))
    client = make_client(server_settings)
    client.create_collection(
        meta_name(name), embedding_function=None, metadata={"schema": META_SCHEMA + 1}
    )
    for attempt in (lambda: open_index(server_settings), lambda: ingest(server_settings)):
        with pytest.raises(StoreMismatchError) as refused:
            attempt()
        assert "another version" in str(refused.value) and meta_name(name) in str(refused.value)
    assert client.get_collection(meta_name(name)).metadata["schema"] == META_SCHEMA + 1


@pytest.mark.slow
def test_a_chunk_collection_of_an_older_schema_on_a_server_is_refused_until_rebuild(
    server_settings: Settings,
) -> None:
    ingest(server_settings)
    name = index_name(server_settings, make_embedder(server_settings))
    collection = make_client(server_settings).get_collection(name, embedding_function=None)
    kept = {key: value for key, value in collection.metadata.items() if not key.startswith("hnsw:")}
    collection.modify(metadata={**kept, "schema": 1})
    with pytest.raises(StoreMismatchError, match="--rebuild"):
        ingest(server_settings)
    assert collection.count() > 0, "a shared index was dropped without being asked"
    report = ingest(server_settings, rebuild=True)
    assert len(report.added) == 5
    assert_index_matches_files(server_settings)


@pytest.mark.slow
def test_an_instance_starting_while_another_ingests_waits_for_it_instead_of_failing(
    server_settings: Settings, tmp_path: Path
) -> None:
    meta = open_meta(
        make_client(server_settings),
        index_name(server_settings, make_embedder(server_settings)),
        create=True,
    )
    started: dict[str, float] = {}
    result: dict[str, object] = {}

    def start_instance() -> None:
        started["at"] = time.monotonic()
        result["assistant"] = Assistant.from_settings(server_settings)
        started["done"] = time.monotonic()

    with chroma_lease(meta, lease_s=20, wait_s=0):
        thread = threading.Thread(target=start_instance)
        thread.start()
        time.sleep(3)
        assert thread.is_alive(), "the instance did not wait for the lease holder"
    thread.join(timeout=300)
    assistant = result["assistant"]
    assert isinstance(assistant, Assistant) and started["done"] - started["at"] >= 3
    assert len(assistant.articles()) == 5


@pytest.mark.slow
def test_a_first_start_ingest_leaves_an_index_another_instance_filled_meanwhile(
    server_settings: Settings, tmp_path: Path
) -> None:
    ingest(server_settings)
    late = instance(server_settings, tmp_path / "late")
    shutil.copy(sorted(server_settings.data_dir.glob("*.txt"))[0], late.data_dir)
    report = ingest(late, only_if_empty=True)
    assert (report.added, report.removed) == ([], []) and report.notes
    assert len(Assistant(late, open_index(late)).articles()) == 5
