"""Command-line layout and once-per-store notices, in process: aligned columns, wrapping
between words only, and a notice let through once per store folder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assistant.cli_format import label_block, table, wrap
from assistant.notices import NOTICES_FILE, ONCE_PER_STORE, OncePerStoreFilter, shown_notices

TITLE = "وزيرا خارجية الصين وروسيا يؤكدان التعاون الاستراتيجي بين بكين وموسكو في اجتماع طويل"


@pytest.mark.parametrize("width", [24, 30, 47, 80])
def test_wrapping_breaks_only_between_words_and_keeps_every_word(width: int) -> None:
    lines = wrap(TITLE, width)
    assert all(len(line) <= width for line in lines)
    assert " ".join(lines).split() == TITLE.split()


def test_a_word_longer_than_the_width_stays_whole() -> None:
    assert wrap("x" * 40 + " y", 24) == ["x" * 40, "y"]


def test_label_values_start_in_one_column_and_wrapped_values_stay_under_it() -> None:
    text = label_block([("Embedder", "hashing"), ("Embedder fallback", TITLE)], 60)
    lines = text.splitlines()
    column = len("Embedder fallback  ")
    assert lines[0] == "Embedder" + " " * (column - len("Embedder")) + "hashing"
    assert all(line[:column].strip() == "" and line[column] != " " for line in lines[2:])
    assert " ".join(line[column:] for line in lines[1:]).split() == TITLE.split()


def test_table_columns_align_numbers_right_and_wrap_the_last_column() -> None:
    rows = [["a.txt", 4, TITLE], ["long_name.txt", 12, "short"]]
    lines = table(["File", "Chunks", "Title"], rows, 50, right=[1]).splitlines()
    title_column = lines[0].index("Title")
    assert lines[0].startswith("File           Chunks  Title")
    assert lines[1].startswith("a.txt               4  ")
    assert lines[-1] == "long_name.txt      12  short"
    assert all(len(line) <= 50 for line in lines)
    wrapped = [line[title_column:] for line in lines[1:-1]]
    assert " ".join(wrapped).split() == TITLE.split()


def _record(key: str | None) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "notice", None, None)
    if key is not None:
        setattr(record, ONCE_PER_STORE, key)
    return record


def test_a_notice_passes_once_per_store_and_other_records_always(tmp_path: Path) -> None:
    store, other = tmp_path / "store", tmp_path / "other"
    first, again = OncePerStoreFilter(store), OncePerStoreFilter(store)
    assert first.filter(_record("fallback: reason A")) is True
    assert again.filter(_record("fallback: reason A")) is False  # a later command, same store
    assert again.filter(_record("fallback: reason B")) is True  # a new reason is said
    assert OncePerStoreFilter(other).filter(_record("fallback: reason A")) is True
    assert all(again.filter(_record(None)) for _ in range(3))
    assert shown_notices(store) == {"fallback: reason A", "fallback: reason B"}


def test_an_unreadable_notices_file_means_the_notice_is_said_again(tmp_path: Path) -> None:
    tmp_path.joinpath(NOTICES_FILE).write_text("{not json", encoding="utf-8")
    assert OncePerStoreFilter(tmp_path).filter(_record("k")) is True
    assert shown_notices(tmp_path) == {"k"}


def test_a_store_folder_that_cannot_be_written_still_lets_the_notice_through(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    notice_filter = OncePerStoreFilter(blocked / "store")  # its parent is a file
    assert notice_filter.filter(_record("k")) is True
    assert notice_filter.filter(_record("k")) is True
