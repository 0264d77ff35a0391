"""The Library tab's timeline: every indexed article as a bar placed by its date.

What it does: turn the library rows (source, title, date, chunks) into one inline SVG
chart, built here as escaped text, so a reader sees at a glance which days the collection
covers and how much each article holds (bar height and label = its passage count).
Articles without a date get their own "no date" lane at the end, so every article is on
the chart. Each bar is a ``#cite=<source>::`` link: clicking it opens the article in the
source viewer (the page script handles those links).

What it does not do: read files or call the assistant; no scripts, no external assets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from assistant.web_render import cite_href

WIDTH, HEIGHT = 720, 190
BASELINE = 140
MARGIN = 24
MAX_BAR = 84
MIN_BAR = 10
SLOT = 22.0
LABEL_GAP = 120.0  # room for a date label, also at the larger type used on phones
LABEL_EDGE = 58.0  # half a date label: labels stay this far inside the chart's ends


@dataclass(frozen=True)
class Bar:
    """One article on the chart: where it goes and what it says."""

    source: str
    title: str
    day: date | None
    passages: int
    x: float = 0.0


def plural(count: int, noun: str) -> str:
    """``plural(1, "passage")`` → "1 passage"; ``plural(3, "passage")`` → "3 passages"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def parse_day(text: Any) -> date | None:
    """``"2024-04-29"`` → a date; anything else (empty, malformed) → None."""
    try:
        return date.fromisoformat(str(text or "")[:10])
    except ValueError:
        return None


def _bars(rows: list[dict[str, Any]]) -> tuple[list[Bar], list[Bar]]:
    """The dated bars in date order and the undated ones in file order."""
    bars = [
        Bar(
            str(r["source"]),
            str(r.get("title") or r["source"]),
            parse_day(r.get("date")),
            int(r["chunks"]),
        )
        for r in rows
    ]
    dated = sorted((b for b in bars if b.day), key=lambda b: (b.day, b.source))
    return dated, [b for b in bars if b.day is None]


def _place_dated(dated: list[Bar], left: float, right: float) -> list[Bar]:
    """x of each dated bar: proportional to its date, nudged right so bars never overlap
    (same-day articles stand side by side), squeezed when there are many."""
    if not dated:
        return []
    slot = min(SLOT, (right - left) / len(dated))
    first, last = dated[0].day, dated[-1].day
    assert first is not None and last is not None
    span_days = (last - first).days
    usable = max(0.0, right - left - slot * len(dated))
    placed: list[Bar] = []
    for index, bar in enumerate(dated):
        assert bar.day is not None
        share = (bar.day - first).days / span_days if span_days else 0.5
        ideal = left + share * usable + index * slot + slot / 2
        x = max(ideal, placed[-1].x + slot) if placed else ideal
        placed.append(Bar(bar.source, bar.title, bar.day, bar.passages, x))
    return placed


def _place_undated(undated: list[Bar], left: float, slot: float) -> list[Bar]:
    """Undated bars side by side from ``left``."""
    return [
        Bar(b.source, b.title, None, b.passages, left + slot * i + slot / 2)
        for i, b in enumerate(undated)
    ]


def _bar_svg(bar: Bar, tallest: int, width: float) -> str:
    """One bar: a link holding a tooltip, the rectangle and its passage count."""
    height = MIN_BAR + (MAX_BAR - MIN_BAR) * bar.passages / max(1, tallest)
    top = BASELINE - height
    when = bar.day.isoformat() if bar.day else "no date"
    tip = f"{bar.title} — {bar.source} — {when} — {plural(bar.passages, 'passage')}"
    return (
        f'<a class="timeline-item" href="{cite_href(bar.source)}" data-source="{escape(bar.source)}" '
        f'data-date="{escape(when)}" data-passages="{bar.passages}">'
        f"<title>{escape(tip)}</title>"
        f'<rect x="{bar.x - width / 2:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" rx="2"/>'
        f'<text class="timeline-count" x="{bar.x:.1f}" y="{top - 4:.1f}">{bar.passages}</text></a>'
    )


def _date_labels(dated: list[Bar]) -> str:
    """Date labels under the axis, skipping any that would overlap the previous one."""
    labels, last_x = [], -LABEL_GAP
    for bar in dated:
        if bar.x - last_x < LABEL_GAP or bar.day is None:
            continue
        x = min(max(bar.x, LABEL_EDGE), WIDTH - LABEL_EDGE)
        labels.append(
            f'<text class="timeline-date" x="{x:.1f}" y="{BASELINE + 22}">{bar.day.isoformat()}</text>'
        )
        last_x = bar.x
    return "".join(labels)


def _dates_note(dated: list[Bar], undated: list[Bar]) -> str:
    """What the caption adds to the library's own count line: the period and the undated."""
    return _caption(dated, undated).partition("; ")[2]


def _caption(dated: list[Bar], undated: list[Bar]) -> str:
    """One sentence saying what the chart shows (also its accessible name)."""
    count = len(dated) + len(undated)
    passages = sum(b.passages for b in [*dated, *undated])
    parts = [f"{plural(count, 'article')}, {plural(passages, 'passage')}"]
    if dated:
        first, last = dated[0].day, dated[-1].day
        period = f"{first}" if first == last else f"{first} to {last}"
        parts.append(f"{len(dated)} dated ({period})")
    if undated:
        parts.append(f"{len(undated)} without a date")
    return "; ".join(parts)


def _layout(dated: list[Bar], undated: list[Bar]) -> tuple[list[Bar], list[Bar], float, float]:
    """Placed dated and undated bars, the x where the "no date" lane starts, bar width."""
    slot = SLOT if len(undated) * SLOT <= WIDTH / 2 else (WIDTH / 2) / len(undated)
    lane = len(undated) * slot + (MARGIN if dated and undated else 0)
    split = WIDTH - MARGIN - lane
    dated_slot = min(SLOT, (split - MARGIN) / len(dated)) if dated else SLOT
    placed = _place_dated(dated, MARGIN, split)
    lane_start = split + (MARGIN if dated else 0)
    return (
        placed,
        _place_undated(undated, lane_start, slot),
        split,
        max(2.0, 0.7 * min(slot, dated_slot)),
    )


def _guides(dated: list[Bar], undated: list[Bar], split: float) -> list[str]:
    """The axis, the line before the "no date" lane, and the lane's label."""
    parts = [
        f'<line class="timeline-axis" x1="{MARGIN / 2}" y1="{BASELINE}" '
        f'x2="{WIDTH - MARGIN / 2}" y2="{BASELINE}"/>'
    ]
    if dated and undated:
        x = split + MARGIN / 2
        parts.append(
            f'<line class="timeline-split" x1="{x:.1f}" y1="30" x2="{x:.1f}" y2="{BASELINE + 28}"/>'
        )
    if undated:  # above the lane, right-aligned: it is wider than a short lane
        parts.append(
            f'<text class="timeline-date timeline-lane" x="{WIDTH - 4}" y="22">no date · بلا تاريخ</text>'
        )
    return parts


def render_timeline(rows: list[dict[str, Any]]) -> str:
    """The timeline figure for the library rows ("" when the library is empty)."""
    if not rows:
        return ""
    dated, undated, split, bar_width = _layout(*_bars(rows))
    tallest = max(b.passages for b in [*dated, *undated])
    parts = _guides(dated, undated, split)
    parts.append(_date_labels(dated))
    parts.extend(_bar_svg(b, tallest, bar_width) for b in [*dated, *undated])
    caption = _caption(dated, undated)
    return (
        f'<figure class="timeline"><svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(caption)}" preserveAspectRatio="xMidYMid meet">{"".join(parts)}</svg>'
        f'<figcaption dir="ltr">Articles by date; bar height and number = passages. '
        f"{escape(_dates_note(dated, undated))}</figcaption></figure>"
    )
