"""Plain-text layout for the command line: aligned label/value blocks and tables whose last
column wraps at word boundaries to the terminal's width.

It only lays out strings it is given; what to show is decided in :mod:`assistant.cli`.
Widths count characters, which suits Arabic and Latin text alike in a terminal (no
double-width CJK handling).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence
from typing import Any

DEFAULT_WIDTH = 100  # when the output is not a terminal (a pipe, a file, a test)
MIN_WRAP_WIDTH = 24  # a wrapped column never gets narrower than this


def terminal_width() -> int:
    """Columns of the terminal, or :data:`DEFAULT_WIDTH` when there is none."""
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` characters, broken between words only
    (a single word longer than ``width`` stays whole). ``wrap("", 10) == [""]``."""
    lines = textwrap.wrap(
        " ".join(text.split()), max(width, MIN_WRAP_WIDTH), break_long_words=False
    )
    return lines or [""]


def label_block(rows: Sequence[tuple[str, Any]], width: int) -> str:
    """``Label   value`` rows with the values aligned and wrapped under each other.

    >>> print(label_block([("Articles", 5), ("Store", "/tmp/s")], 80))
    Articles  5
    Store     /tmp/s
    """
    indent = max(len(label) for label, _ in rows) + 2
    lines = []
    for label, value in rows:
        wrapped = wrap(str(value), width - indent)
        lines.append(f"{label:<{indent}}{wrapped[0]}".rstrip())
        lines.extend(" " * indent + line for line in wrapped[1:])
    return "\n".join(lines)


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], width: int, right: Sequence[int] = ()
) -> str:
    """A table with a header row; columns aligned (those numbered in ``right`` to the right),
    the last one wrapped at word boundaries so each line fits ``width``.

    >>> print(table(["File", "Chunks", "Title"], [["a.txt", 4, "one two three"]], 80, right=[1]))
    File   Chunks  Title
    a.txt       4  one two three
    """
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    fixed = [max(len(row[i]) for row in cells) for i in range(len(headers) - 1)]
    indent = sum(fixed) + 2 * len(fixed)
    lines = []
    for row in cells:
        parts = [
            cell.rjust(size) if i in right else cell.ljust(size)
            for i, (cell, size) in enumerate(zip(row, fixed, strict=False))
        ]
        wrapped = wrap(row[-1], width - indent)
        lines.append(("  ".join(parts) + "  " + wrapped[0]).rstrip())
        lines.extend(" " * indent + line for line in wrapped[1:])
    return "\n".join(lines)
