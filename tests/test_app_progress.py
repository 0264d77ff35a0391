"""app.py's first-run progress names what it counts: files, then the cached sentence vectors."""

from __future__ import annotations

import pytest

import app
from assistant.sentence_vectors import STAGE


@pytest.mark.parametrize(
    ("done", "total", "name", "line"),
    [
        (2, 5, "004_a.txt", "  indexing 2/5 files (004_a.txt)\n"),
        (64, 70, STAGE, "  indexing 64/70 sentences (sentence vectors)\n"),
    ],
)
def test_first_run_progress_counts_files_then_sentences(
    done: int, total: int, name: str, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app.terminal_progress(done, total, name)
    captured = capsys.readouterr()
    assert captured.err == line
    assert captured.out == ""
