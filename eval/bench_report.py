"""Format benchmark rows (:mod:`eval.bench`): machine facts, a Markdown table, targets, a plot.

What it does: describe the machine (CPU, memory, load, package versions, git commit), turn
the rows into ``bench.md`` (one table for embedded Chroma, one for the server runs, the
per-stage ingest seconds, and the issue's targets checked against the largest size) and
``bench.png`` (latency and ingest throughput against corpus size, log scales; matplotlib
with the Agg backend, so it needs no display).

What it does not do: measure anything, or fail on a missed target: benchmarks report.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("chromadb", "bm25s", "numpy", "langchain-core", "langchain-community", "langchain-classic",
            "langchain-chroma", "rank-bm25", "PyStemmer")  # fmt: skip


@dataclass(frozen=True)
class Target:
    """One target of the issue: ``key`` compared with ``limit`` at the largest size."""

    key: str
    label: str
    limit: float
    higher_is_better: bool = False

    def met(self, row: dict[str, Any]) -> bool | None:
        """True/False against the limit; None when the row lacks the number."""
        value = row.get(self.key)
        if not isinstance(value, (int, float)):
            return None
        return value >= self.limit if self.higher_is_better else value <= self.limit


TARGETS = (
    Target("retrieval_p95_ms", "hybrid retrieval p95 ≤ 20 ms", 20.0),
    Target("speedup_p50", "≥ 50× faster than LangChain's ensemble at p50", 50.0, True),
    Target("hit3_margin", "hit@3 no lower than LangChain's", 0.0, True),
    Target("ingest_chunks_per_s", "ingest ≥ 1,000 chunks/s end to end", 1000.0, True),
    Target("peak_rss_mb", "peak RSS ≤ 2 GB", 2048.0),
    Target("reingest_s", "re-ingest of the unchanged corpus ≤ 10 s", 10.0),
    Target("cold_ask_s", "cold `python -m assistant ask` ≤ 2 s", 2.0),
    Target("page_ready_s", "page ready ≤ 10 s", 10.0),
)

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("chunks", "chunks", "{:,.0f}"),
    ("ingest_chunks_per_s", "ingest chunks/s", "{:,.0f}"),
    ("peak_rss_mb", "peak RSS MB", "{:,.0f}"),
    ("reingest_s", "re-ingest s", "{:.2f}"),
    ("retrieval_p50_ms", "retrieval p50 ms", "{:.1f}"),
    ("retrieval_p95_ms", "retrieval p95 ms", "{:.1f}"),
    ("langchain_p50_ms", "LangChain p50 ms", "{:.1f}"),
    ("langchain_p95_ms", "LangChain p95 ms", "{:.1f}"),
    ("speedup_p50", "speed-up p50", "{:.0f}×"),
    ("hit3", "hit@3", "{:.2f}"),
    ("langchain_hit3", "LangChain hit@3", "{:.2f}"),
    ("ask_p50_ms", "ask p50 ms", "{:.1f}"),
    ("cold_ask_s", "cold ask s", "{:.2f}"),
    ("page_ready_s", "page ready s", "{:.1f}"),
)
STAGES = ("clean", "split", "embed", "analyse", "prepare_wait", "chroma", "manifest", "bm25", "sentence_vectors")


def _run(cmd: Sequence[str]) -> str:
    try:
        return subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except OSError:
        return ""


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def memory_gb() -> float | None:
    """Total RAM in GB (Linux), else None."""
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1)
    except (ValueError, OSError, AttributeError):
        return None


def machine_info() -> dict[str, Any]:
    """Where the numbers were taken: CPU, memory, load, Python, packages, git commit."""
    root = Path(__file__).resolve().parent.parent
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date": date.today().isoformat(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": memory_gb(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": _run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"]),
        "git_dirty": bool(
            _run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"])
        ),
    }


def with_margin(row: dict[str, Any]) -> dict[str, Any]:
    """The row plus ``hit3_margin`` (ours minus LangChain's), used by a target."""
    ours, theirs = row.get("hit3"), row.get("langchain_hit3")
    margin = (
        round(ours - theirs, 4) if isinstance(ours, float) and isinstance(theirs, float) else None
    )
    return {**row, "hit3_margin": margin}


def check_targets(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the row's value and whether it is met (None: not measured)."""
    full = with_margin(row)
    return [
        {"target": t.label, "key": t.key, "value": full.get(t.key), "met": t.met(full)}
        for t in TARGETS
    ]


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, (int, float)):
        return fmt.format(value)
    return str(value)


def table(rows: Sequence[dict[str, Any]]) -> str:
    """Markdown table of the headline columns, one line per row."""
    lines = [
        "| " + " | ".join(label for _, label, _ in COLUMNS) + " |",
        "|" + " ---: |" * len(COLUMNS),
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(key), fmt) for key, _, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def stage_table(rows: Sequence[dict[str, Any]]) -> str:
    """Markdown table of ingest seconds per stage, the unattributed rest (planning, manifest,
    deletes), the total, and the unchanged re-ingest.

    A large ingest prepares files (clean, split, embed, analyse) in a worker process while
    this one writes to Chroma: those four overlap the rest; ``prepare_wait``, ``chroma``,
    ``manifest``, ``bm25`` and ``other`` add up to the total."""
    head = (
        "| chunks | "
        + " | ".join(f"{s} s" for s in STAGES)
        + " | other s | total s | re-ingest s |"
    )
    lines = [head, "|" + " ---: |" * (len(STAGES) + 4)]
    for row in rows:
        stages = row.get("stage_s", {})
        cells = [_cell(stages.get(s), "{:.2f}") for s in STAGES]
        cells += [_cell(row.get(k), "{:.2f}") for k in ("ingest_other_s", "ingest_s", "reingest_s")]
        lines.append(f"| {row.get('chunks', 0):,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets_section(row: dict[str, Any]) -> str:
    """The issue's targets checked against one row (the largest size)."""
    lines = [f"Targets at {row.get('chunks', 0):,} chunks:", ""]
    marks = {True: "met", False: "**missed**", None: "not measured"}
    for check in check_targets(row):
        value = _cell(check["value"], "{:,.2f}")
        if check["key"] == "hit3_margin":
            value = f"{_cell(row.get('hit3'), '{:.2f}')} vs {_cell(row.get('langchain_hit3'), '{:.2f}')}"
        if check["key"] == "cold_ask_s":
            value += (
                f" (Arabic {_cell(row.get('cold_ask_ar_s'), '{:.2f}')}, English"
                f" {_cell(row.get('cold_ask_en_s'), '{:.2f}')}, English naming someone"
                f" outside the lexicon {_cell(row.get('cold_ask_en_name_s'), '{:.2f}')})"
            )
        lines.append(f"- {check['target']}: {value} — {marks[check['met']]}")
    return "\n".join(lines)


E5_LINES = (  # (where under "e5", key, label, format): what issue 13 asks of the e5 engine
    ("synthetic", "chunks", "ingest corpus, chunks", "{:,}"),
    ("synthetic", "ingest_chunks_per_s", "ingest chunks/s", "{:.2f}"),
    ("synthetic", "ingest_cpu_ms_per_chunk", "ingest CPU-ms per chunk", "{:.0f}"),
    ("synthetic", "peak_rss_mb", "ingest peak RSS (MB)", "{:.0f}"),
    ("bundled", "retrieval_p50_ms", "bundled retrieval p50 (ms)", "{:.1f}"),
    ("bundled", "retrieval_p95_ms", "bundled retrieval p95 (ms; target ≤ 50)", "{:.1f}"),
    ("bundled", "retrieval_ar_p95_ms", "bundled retrieval p95, Arabic (ms)", "{:.1f}"),
    ("bundled", "retrieval_en_p95_ms", "bundled retrieval p95, English (ms)", "{:.1f}"),
    ("bundled", "retrieval_cpu_ms_per_query", "retrieval CPU-ms per query", "{:.1f}"),
    ("bundled", "retrieval_encoder_cpu_ms_per_query", "of which encoding the question", "{:.1f}"),
    ("bundled", "ask_p95_ms", "bundled ask p95 (ms)", "{:.1f}"),
    ("bundled", "hit3", "bundled file hit@3", "{:.3f}"),
    ("cold", "cold_ask_s", "cold ask (s)", "{:.2f}"),
    ("cold", "import_chromadb_bm25s_s", "import chromadb + bm25s (s)", "{:.2f}"),
    ("cold", "cold_ask_vs_import", "cold ask / import (target ≤ 2)", "{:.2f}"),
)


def e5_section(e5: dict[str, Any]) -> str:
    """The e5 engine's figures (``eval.bench_e5``) as a two-column table; "–" when absent."""
    lines = ["| e5 engine | value |", "| --- | ---: |"]
    for part, key, label, fmt in E5_LINES:
        lines.append(f"| {label} | {_cell((e5.get(part) or {}).get(key), fmt)} |")
    return "\n".join(lines)


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The whole report: machine, tables, per-stage ingest, server comparison, targets."""
    machine = rows[0].get("machine", {}) if rows else {}
    served = [r["chroma_server"] for r in rows if r.get("chroma_server")]
    parts = [
        f"# Scale benchmark, {machine.get('date', '')}",
        "",
        f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, {machine.get('memory_gb', '?')} GB; "
        f"Python {machine.get('python', '?')}; load average at start {machine.get('load_avg_1m', '?')}, "
        f"at end {machine.get('load_avg_end_1m', '?')}; commit {machine.get('git_commit', '?')}"
        f"{' (uncommitted changes)' if machine.get('git_dirty') else ''}. Offline: hashing embedder, no LLM.",
        "",
        f"Tokens counted by: {rows[0].get('token_counter', '?') if rows else '?'}.",
        "",
        "## Embedded Chroma",
        "",
        table(rows),
        "",
        "Ingest seconds per stage:",
        "",
        stage_table(rows),
    ]
    if served:
        parts += ["", "## Chroma server (`chroma run`)", "", table(served), "", stage_table(served), "",
                  "Server / embedded ratios: " + "; ".join(
                      f"{r['chunks']:,} chunks: " + ", ".join(f"{k} {v}" for k, v in r.get("vs_embedded", {}).items())
                      for r in served)]  # fmt: skip
    if rows and rows[0].get("e5"):
        parts += ["", "## The bundled e5 engine", "", e5_section(rows[0]["e5"])]
    if rows:
        largest = max(rows, key=lambda r: r.get("chunks", 0))
        parts += ["", "## Targets", "", targets_section(largest)]
    return "\n".join(parts) + "\n"


def _series(rows: Sequence[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    pairs = [
        (r["chunks"], r[key])
        for r in rows
        if isinstance(r.get(key), (int, float)) and r.get("chunks")
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def plot(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Two log-log panels against corpus size: query latency, and ingest throughput."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    served = [r["chroma_server"] for r in rows if r.get("chroma_server")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    lines: list[tuple[Sequence[dict[str, Any]], str, str, str]] = [
        (rows, "retrieval_p50_ms", "ours p50", "o-"), (rows, "retrieval_p95_ms", "ours p95", "o--"),
        (rows, "ask_p50_ms", "ours ask p50", "s:"), (rows, "langchain_p50_ms", "LangChain p50", "^-"),
        (rows, "langchain_p95_ms", "LangChain p95", "^--"), (served, "retrieval_p50_ms", "ours p50, Chroma server", "x-."),
    ]  # fmt: skip
    _draw(left, lines)
    left.axhline(20, color="grey", lw=0.8, ls=":", label="target p95 20 ms")
    left.set(title="Query latency", ylabel="ms")
    _draw(
        right,
        [
            (rows, "ingest_chunks_per_s", "ours, embedded", "o-"),
            (served, "ingest_chunks_per_s", "ours, Chroma server", "x-."),
        ],
    )
    right.axhline(1000, color="grey", lw=0.8, ls=":", label="target 1,000/s")
    right.set(title="Ingest throughput", ylabel="chunks/s")
    for axis in (left, right):
        axis.set(xscale="log", yscale="log", xlabel="corpus size (chunks)")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _draw(axis: Any, lines: Sequence[tuple[Sequence[dict[str, Any]], str, str, str]]) -> None:
    for rows, key, label, style in lines:
        xs, ys = _series(rows, key)
        if xs:
            axis.plot(xs, ys, style, label=label)


def write_report(
    rows: Sequence[dict[str, Any]], folder: Path, stem: str = "bench"
) -> tuple[Path, Path]:
    """Write ``<stem>.md`` and ``<stem>.png`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    md, png = folder / f"{stem}.md", folder / f"{stem}.png"
    md.write_text(markdown(rows), encoding="utf-8")
    plot(rows, png)
    return md, png
