"""Crash safety of the index (issue 8): killed ingests, stale schemas, damaged files.

The kill trials run the real CLI (``python -m assistant ingest``) on a temporary corpus
of synthetic articles built from the bundled articles' sentences, SIGKILL it inside a
planned step of its work under the writer lock (every kind of step, at a random moment
within it: see ``KILL_POINTS`` and tests/crash_ingest_child.py; kill points are steps,
not wall-clock guesses, so each lands on any machine), run ingest again to completion
(in process, to save a start-up), and then check with
:func:`helpers_reliability.assert_index_matches_files` that Chroma, BM25 and the
manifest hold exactly the chunks the files give now: nothing lost, nothing doubled.
Between trials the corpus changes (files rewritten, deleted, added) or the store is
wiped, so kills land in first builds, updates and deletions alike.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.cli import main as cli_main
from assistant.errors import StoreMismatchError
from assistant.index import open_index, writer_lock
from assistant.ingest import ingest
from assistant.service import Assistant
from tests.helpers_reliability import (
    PROJECT_ROOT,
    assert_index_matches_files,
    copy_real_articles,
    forget_chroma_clients,
    make_settings,
    offline_env,
    real_sentences,
    synthetic_article,
    write_synthetic_corpus,
)

# Each trial's kill point: (wipe the store first, else change the corpus; the step "NAME:K"
# of the ingest to kill in, see tests/crash_ingest_child.py). Together they cover every kind
# of step in first builds and in updates; a random 0-30 ms after the step starts moves the
# kill within it. The points are steps, not times, so every planned kill lands on any machine.
KILL_POINTS = [
    (True, "ChromaStore.upsert:1"),
    (False, "ChromaStore.delete:1"),
    (False, "Manifest.save:2"),
    (True, "Manifest.save:2"),
    (False, "ChromaStore.write:2"),  # an update re-sends vectors only for its new chunks
    (False, "bm25-save:1"),
    (True, "ChromaStore.upsert:2"),
    (False, "prepare:2"),
    (True, "bm25-save:1"),
    (False, "_plan:1"),
]
STEP_DEADLINE_S = 300.0  # to reach a step or end: a whole ingest, with room for a busy machine
CORPUS_SIZE = 100
SEED = int(os.environ.get("CRASH_TRIAL_SEED", "20240608"))


def _lock_text(store_dir: Path) -> str:
    """What the writer lock file says now ("pid N" while an ingest holds it)."""
    try:
        return (store_dir / "ingest.lock").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _marks(path: Path) -> list[str]:
    """The step lines the instrumented ingest wrote so far (see tests/crash_ingest_child.py)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    return text[: text.rfind("\n") + 1].splitlines()  # whole lines only: one may be mid-write


def _start_ingest(env: dict[str, str], marks: Path, crash_at: str) -> subprocess.Popen[bytes]:
    """The CLI's ingest with its steps marked in ``marks``, waiting to be killed at step
    ``crash_at`` ("NAME:K"; empty: runs to the end); output discarded."""
    marks.unlink(missing_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash_ingest_child"],
        env={**env, "CRASH_MARKS": str(marks), "CRASH_AT": crash_at},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_at(env: dict[str, str], store_dir: Path, marks: Path, step: str, delay: float) -> str:
    """Start an ingest, SIGKILL it ``delay`` s after it reports reaching ``step``.

    The ingest waits for the kill after that step, so the kill always lands while it
    holds the writer lock, on any machine speed; ``delay`` (tens of ms) only moves the
    kill from the start of the step to its middle or end. Returns the kill point's mark.
    """
    proc = _start_ingest(env, marks, step)
    deadline = time.monotonic() + STEP_DEADLINE_S  # generous: a whole ingest on a busy machine
    while not (kill := [m for m in _marks(marks) if m.startswith("kill ")]):
        assert proc.poll() is None, f"the ingest ended (exit {proc.returncode}) before {step}"
        assert time.monotonic() < deadline, f"{step} not reached in {STEP_DEADLINE_S} s"
        time.sleep(0.002)
    time.sleep(delay)
    assert proc.poll() is None and _lock_text(store_dir) == f"pid {proc.pid}"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=STEP_DEADLINE_S) == -signal.SIGKILL
    return kill[0]


def _mutate(data_dir: Path, rng: random.Random, trial: int) -> None:
    """Rewrite about a third of the articles, delete a few, add a few new ones."""
    sentences = real_sentences()
    files = sorted(data_dir.glob("*.txt"))
    for path in rng.sample(files, len(files) // 3):
        path.write_text(synthetic_article(rng, sentences, rng.randint(0, 10_000)), encoding="utf-8")
    for path in rng.sample(files, len(files) // 12):
        path.unlink(missing_ok=True)
    for i in range(len(files) // 12):
        (data_dir / f"new_{trial:02d}_{i:03d}.txt").write_text(
            synthetic_article(rng, sentences, i), encoding="utf-8"
        )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ingest_killed_at_random_points_is_repaired_by_the_next_run_with_nothing_lost(
    tmp_path: Path,
) -> None:
    write_synthetic_corpus(tmp_path / "data", CORPUS_SIZE, seed=SEED)
    settings, env, rng = make_settings(tmp_path), offline_env(tmp_path), random.Random(SEED)
    marks = tmp_path / "marks.txt"
    assert _start_ingest(env, marks, crash_at="").wait(timeout=STEP_DEADLINE_S) == 0
    assert_index_matches_files(settings)
    killed_in, repaired = [], 0
    for trial, (fresh, step) in enumerate(KILL_POINTS):
        if fresh:
            shutil.rmtree(settings.store_dir)
        else:
            _mutate(settings.data_dir, rng, trial)
        mark = _kill_at(env, settings.store_dir, marks, step, rng.uniform(0, 0.03))
        assert mark.endswith(" " + step.split(":")[0])  # killed in the step planned, not later
        killed_in.append(mark)
        forget_chroma_clients()
        repaired += bool(ingest(settings).repaired)  # the next run, in process (saves a start-up)
        assert_index_matches_files(settings)
    print(f"crash trials: {len(KILL_POINTS)}, killed in: {killed_in}, repairs reported: {repaired}")


def _ingested(tmp_path: Path):  # type: ignore[no-untyped-def]
    copy_real_articles(tmp_path / "data")
    settings = make_settings(tmp_path)
    forget_chroma_clients()
    ingest(settings)
    return settings


def _tamper_collection(settings, **changes: object) -> None:  # type: ignore[no-untyped-def]
    """Overwrite keys of the collection's metadata, as an older version or embedder would have."""
    index = open_index(settings)
    assert index.store is not None
    meta = {
        k: v
        for k, v in (index.store.collection.metadata or {}).items()
        if not k.startswith("hnsw:")
    }
    index.store.collection.modify(metadata={**meta, **changes})


def test_a_store_from_an_older_schema_is_refused_by_ask_with_a_message_to_reingest(
    tmp_path: Path,
) -> None:
    settings = _ingested(tmp_path)
    _tamper_collection(settings, schema=0)
    with pytest.raises(StoreMismatchError, match=r"schema 0.*ingest --rebuild"):
        Assistant.from_settings(settings)


def test_the_cli_refuses_to_answer_from_an_older_schema_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _ingested(tmp_path)
    _tamper_collection(settings, schema=0)
    for key, value in offline_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert cli_main(["ask", "ماذا قال لافروف؟"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "ingest --rebuild" in err


def test_ingest_rebuilds_a_store_from_an_older_schema_and_says_so(tmp_path: Path) -> None:
    settings = _ingested(tmp_path)
    _tamper_collection(settings, schema=0)
    report = ingest(settings)
    assert any("schema 0" in note and "rebuilding" in note for note in report.notes)
    assert len(report.added) == 5
    assert_index_matches_files(settings)


def test_a_store_claiming_another_embedder_is_refused_and_never_mixed(tmp_path: Path) -> None:
    settings = _ingested(tmp_path)
    _tamper_collection(settings, embedder="st-some-other-model-384", dim=384)
    with pytest.raises(StoreMismatchError, match="st-some-other-model-384"):
        open_index(settings)
    report = ingest(settings)
    assert any("rebuilding" in note for note in report.notes)
    assert open_index(settings).store.collection.metadata["embedder"] == "hashing-ngram-v1-512"  # type: ignore[union-attr]
    assert_index_matches_files(settings)


def test_a_garbled_manifest_is_repaired_by_the_next_ingest(tmp_path: Path) -> None:
    settings = _ingested(tmp_path)
    manifest = open_index(settings).manifest.path
    manifest.write_bytes(b"\x00{not json")
    ingest(settings)
    assert_index_matches_files(settings)


def test_a_deleted_bm25_index_still_answers_and_is_rewritten_by_ingest(tmp_path: Path) -> None:
    settings = _ingested(tmp_path)
    index = open_index(settings)
    shutil.rmtree(index.lexical_dir)
    answer = Assistant.from_settings(settings, auto_ingest=False).ask(
        "ماذا قال لافروف عن أوكرانيا؟"
    )
    assert answer.citations
    ingest(settings)
    assert_index_matches_files(settings)


def test_a_crash_between_the_bm25_renames_leaves_a_whole_index(tmp_path: Path) -> None:
    settings = _ingested(tmp_path)
    folder = open_index(settings).lexical_dir
    folder.rename(folder.with_name(folder.name + ".old"))  # save() died after its first rename
    (folder.with_name(folder.name + ".tmp")).mkdir()  # and left a half-written new one
    assert open_index(settings).lexical.ids  # type: ignore[union-attr]
    ingest(settings)
    assert_index_matches_files(settings)


def test_a_stale_lock_file_from_a_killed_process_does_not_block_ingest(tmp_path: Path) -> None:
    settings = _ingested(tmp_path)
    (settings.store_dir / "ingest.lock").write_text("pid 999999", encoding="utf-8")
    (settings.data_dir / "000_f7af9a86fe9a915b.txt").unlink()
    report = ingest(settings)
    assert report.removed == ["000_f7af9a86fe9a915b.txt"]
    assert_index_matches_files(settings)


def test_chunks_of_a_source_the_manifest_forgot_are_removed_as_orphans(tmp_path: Path) -> None:
    settings = _ingested(tmp_path)
    manifest = open_index(settings).manifest.path
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["files"].pop("001_2a0015d8fffb9b77.txt")
    manifest.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (settings.data_dir / "001_2a0015d8fffb9b77.txt").unlink()  # killed between delete and save
    report = ingest(settings)
    assert "001_2a0015d8fffb9b77.txt" in report.repaired
    assert_index_matches_files(settings)


def test_a_writer_lock_held_elsewhere_refuses_ingest_with_the_holders_pid(tmp_path: Path) -> None:
    settings = _ingested(tmp_path)
    with (
        writer_lock(settings.store_dir),
        pytest.raises(Exception, match=rf"another ingest is running \(pid {os.getpid()}\)"),
    ):
        ingest(settings)


def _drop_one_chunk(settings) -> None:  # type: ignore[no-untyped-def]
    store = open_index(settings).store
    assert store is not None
    store.delete([next(iter(store.ids_by_source()["000_f7af9a86fe9a915b.txt"]))])


def _add_an_orphan_chunk(settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    index = open_index(settings)
    assert index.store is not None
    chunk = next(index.store.all_chunks())
    orphan = replace(chunk, chunk_id="orphan0000000000000000000", source="gone.txt")
    index.store.upsert([orphan], index.embedder.embed_documents([orphan.text]))


def _stale_bm25(settings) -> None:  # type: ignore[no-untyped-def]
    from vectorstore import lexical

    index = open_index(settings)
    lexical.save(lexical.build(list(index.store.all_chunks())[1:]), index.lexical_dir)  # type: ignore[union-attr]


def _stale_manifest(settings) -> None:  # type: ignore[no-untyped-def]
    path = open_index(settings).manifest.path
    data = json.loads(path.read_text(encoding="utf-8"))
    data["files"]["000_f7af9a86fe9a915b.txt"]["hash"] = "0" * 64
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    "damage", [_drop_one_chunk, _add_an_orphan_chunk, _stale_bm25, _stale_manifest]
)
def test_the_index_check_notices_each_kind_of_damage_and_ingest_repairs_it(
    tmp_path: Path, damage
) -> None:  # type: ignore[no-untyped-def]
    settings = _ingested(tmp_path)
    assert_index_matches_files(settings)
    damage(settings)
    with pytest.raises(AssertionError):
        assert_index_matches_files(settings)
    ingest(settings)
    assert_index_matches_files(settings)
