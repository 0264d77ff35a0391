"""Ingest through the preparation worker process (what large ingests use).

A real worker subprocess prepares groups of files while this process writes to a real
Chroma; the result must be the same index, chunk for chunk and BM25 score for score, as
the inline path, and a worker that dies must cost nothing but time.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant import ingest as ingest_module
from assistant.arabic import analyse
from assistant.index import open_index
from assistant.ingest import ingest
from assistant.ingest_prepare import PrepareWorker, WorkerStopped
from assistant.settings import PROJECT_ROOT, Settings
from tests.conftest import offline_settings
from vectorstore import lexical

QUERIES = ("ماذا قال وانغ يي عن أوكرانيا", "لافروف أمن أوراسيا", "الصين روسيا شراكة")


@pytest.fixture
def via_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every ingest of the 5 articles through the worker: groups of 1, 2 and 2 files."""
    monkeypatch.setattr(ingest_module, "GROUP_FILES", 2)
    monkeypatch.setattr(ingest_module, "FIRST_GROUP_FILES", 1)
    monkeypatch.setattr(ingest_module, "PROCESS_MIN_FILES", 1)


def _snapshot(settings: Settings) -> tuple[dict, dict, list[np.ndarray]]:
    index = open_index(settings)
    assert index.store is not None and index.lexical is not None
    chunks = {c.chunk_id: c for c in index.store.all_chunks()}
    order = np.argsort(index.lexical.ids)
    scores = [
        index.lexical.model.get_scores(
            [t for t in analyse(q) if t in index.lexical.model.vocab_dict]
        )[order]
        for q in QUERIES
    ]
    return index.manifest.files, chunks, scores


def test_the_worker_builds_the_same_index_as_the_inline_path(
    settings: Settings, tmp_path: Path, via_worker: None, check_index: Callable
) -> None:
    report = ingest(settings)
    assert {"clean", "split", "embed", "analyse"} <= report.overlapped
    assert report.timings["prepare_wait"] >= 0 and not report.notes
    assert len(report.added) == 5
    check_index(settings)

    inline_settings = offline_settings(settings.data_dir, tmp_path / "inline")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_module, "PROCESS_MIN_FILES", 10**9)
        inline = ingest(inline_settings)
    assert not inline.overlapped

    manifest, chunks, scores = _snapshot(settings)
    inline_manifest, inline_chunks, inline_scores = _snapshot(inline_settings)
    assert manifest == inline_manifest
    assert chunks == inline_chunks
    for ours, theirs in zip(scores, inline_scores, strict=True):
        assert ours.max() > 0
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_an_update_through_the_worker_reads_unchanged_chunks_back_for_bm25(
    settings: Settings, via_worker: None, check_index: Callable
) -> None:
    ingest(settings)
    first = sorted(settings.data_dir.glob("*.txt"))[0]
    first.write_text(
        first.read_text(encoding="utf-8") + "\nجملة جديدة عن الفيل الأزرق في موسكو.\n",
        encoding="utf-8",
    )
    report = ingest(settings)
    assert report.updated == [first.name] and len(report.unchanged) == 4
    index = check_index(settings)
    assert index.lexical is not None
    assert set(index.lexical.ids) == index.manifest.all_ids()
    top = index.lexical.search(analyse("الفيل الأزرق"), 1)
    assert top and top[0][0] in index.manifest.files[first.name]["chunk_ids"]


class _DeadWorker(PrepareWorker):
    """A worker process that dies at once, as one killed by the OOM killer would. Its
    output closes a moment before it exits (as at the end of any process, only longer
    here), so the exit code can only be reported if the parent waits for it."""

    def __init__(self) -> None:
        self.spool = Path(tempfile.mkdtemp())
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import os, sys, time; os.close(1); time.sleep(0.5); sys.exit(3)",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )


def test_a_worker_that_dies_is_replaced_by_the_inline_path_with_a_note(
    settings: Settings, via_worker: None, monkeypatch: pytest.MonkeyPatch, check_index: Callable
) -> None:
    monkeypatch.setattr(ingest_module, "PrepareWorker", _DeadWorker)
    report = ingest(settings)
    assert len(report.added) == 5
    assert any(
        "preparation worker stopped" in note and "exit code 3" in note for note in report.notes
    )
    check_index(settings)


def test_a_bad_file_in_a_worker_group_is_skipped_with_its_reason(
    settings: Settings, via_worker: None, check_index: Callable
) -> None:
    (settings.data_dir / "broken.txt").write_bytes(b"\x00\xff\x00binary")
    report = ingest(settings)
    assert len(report.added) == 5
    assert len(report.skipped) == 1 and "broken.txt" in report.skipped[0]
    check_index(settings)


def test_the_worker_reports_a_failure_instead_of_dying_silently(tmp_path: Path) -> None:
    worker = PrepareWorker()
    try:
        worker.send(("prepare", [tmp_path / "absent.txt"], "not settings", None, False, frozenset()))
        with pytest.raises(WorkerStopped, match="AttributeError"):
            worker.receive()
    finally:
        worker.close()
    assert worker.process.returncode == 0


def test_the_worker_imports_neither_chroma_nor_torch() -> None:
    probe = (
        "import sys; from assistant import ingest_prepare; "
        "print(sorted(m for m in ('chromadb', 'torch', 'sentence_transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    assert out.stdout.strip() == "[]"


def test_progress_counts_files_across_groups_of_different_sizes(
    settings: Settings, via_worker: None
) -> None:
    seen: list[tuple[int, int]] = []
    ingest(settings, progress=lambda done, total, _name: seen.append((done, total)))
    assert seen == [(0, 5), (1, 5), (3, 5), (5, 5)]


def test_progress_starts_at_zero_before_the_first_group_is_embedded(settings: Settings) -> None:
    """Without the first (0, total) report, the CLI's bar appeared only when the one group of
    a small ingest was done: "7/7 [00:00, 553964 file/s]" after 19 s of embedding."""
    seen: list[tuple[int, int, str]] = []
    ingest(settings, progress=lambda done, total, name: seen.append((done, total, name)))
    assert seen[0] == (0, 5, sorted(p.name for p in settings.data_dir.glob("*.txt"))[0])
    assert seen[-1][:2] == (5, 5)


def test_a_built_bm25_index_is_kept_until_a_chunk_is_added() -> None:
    builder = lexical.LexicalBuilder()
    builder.add("a", "قال وزير الخارجية الصيني")
    first = builder.build()
    assert builder.build() is first
    builder.add("b", "لافروف في موسكو")
    second = builder.build()
    assert second is not first and second.ids == ["a", "b"]
    assert second.search(analyse("موسكو"), 1)[0][0] == "b"


def test_chunks_read_back_carry_their_article_title_date_and_language_from_the_manifest(
    settings: Settings, via_worker: None
) -> None:
    ingest(settings)
    index = open_index(settings)
    assert index.store is not None
    stored = index.store.collection.get(limit=1, include=["metadatas"])["metadatas"][0]
    assert "title" not in stored and stored["text"]
    for chunk in index.store.all_chunks():
        entry = index.manifest.files[chunk.source]
        assert (chunk.title, chunk.date, chunk.language) == (
            entry["title"],
            entry["date"],
            entry["language"],
        )
        assert chunk.title


def test_the_collection_persists_its_vector_index_every_hundred_inserts(settings: Settings) -> None:
    """So a new process replays at most 99 logged inserts on its first query, not 999."""
    ingest(settings)
    index = open_index(settings)
    assert index.store is not None
    assert index.store.collection.configuration_json["hnsw"]["sync_threshold"] == 100
