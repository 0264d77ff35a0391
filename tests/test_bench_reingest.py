"""Smoke test of the re-ingest benchmark (``python -m eval.bench_reingest``) with the hashing
model: the numbers it prints are the counts ingest reports. No timing is checked."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from eval.bench_reingest import main


@pytest.mark.parametrize("long", [False, True])
def test_the_benchmark_prints_what_each_ingest_embedded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, long: bool
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # its temp store goes under tmp_path
    main(["--embedder", "hashing", "--line", "9" if long else "3", *(["--long"] if long else [])])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    header, first, unchanged, edited, again, renamed = rows
    assert header["embedder"].startswith("hashing") and header["edited_article"].endswith(".txt")
    assert first["texts_embedded"] == first["chunks_embedded"] > 0  # hashing: no sentence vectors
    assert unchanged["texts_embedded"] == again["texts_embedded"] == 0
    assert renamed["texts_embedded"] == 0  # wrapped, hashing is looked up like a neural model
    assert renamed["summary"].startswith("1 added, 0 updated, 1 removed,")
    assert 0 < edited["new_chunk_ids"] == edited["chunks_embedded"] == edited["texts_embedded"]
    assert edited["new_chunk_ids"] < edited["article_chunks"]
    assert "(تعديل)" in edited["edited_line"]
