"""Smoke test of the e5 part of the benchmark (``python -m eval.bench_e5``), bundled articles
only (``--size 0``): the real command in a subprocess, checked for shape and sanity, never
for timing targets (benchmarks print numbers; unit tests do not time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def e5_bench(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ``--size 0 --cold-runs 1`` run (the five articles indexed with the e5 engine)."""
    out = tmp_path_factory.mktemp("bench-e5")
    cmd = [sys.executable, "-m", "eval.bench_e5", "--size", "0", "--cold-runs", "1",
           "--json", str(out / "e5.json"), "--work", str(out)]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[bench e5] cold:" in done.stderr
    return json.loads((out / "e5.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_bundled_index_is_measured_with_the_e5_engine(e5_bench: dict[str, Any]) -> None:
    bundled = e5_bench["bundled"]
    assert bundled["embedder"] == "e5-engine-multilingual-e5-small-q4-384"
    assert bundled["chunks"] >= 5 and bundled["ingest_chunks_per_s"] > 0  # 5 articles
    assert bundled["ingest_cpu_ms_per_chunk"] > 0 and bundled["retrieval_cpu_ms_per_query"] > 0
    assert 0 < bundled["retrieval_encoder_cpu_ms_per_query"] <= bundled["retrieval_cpu_ms_per_query"]
    assert bundled["retrieval_ar_p50_ms"] > 0 and bundled["retrieval_en_p50_ms"] > 0
    assert 0 < bundled["retrieval_p50_ms"] <= bundled["retrieval_p95_ms"]
    assert bundled["hit3"] is not None and 0 < bundled["hit3"] <= 1
    assert "synthetic" not in e5_bench  # --size 0


@pytest.mark.slow
def test_cold_ask_and_the_import_baseline_are_both_reported(e5_bench: dict[str, Any]) -> None:
    cold = e5_bench["cold"]
    assert cold["cold_ask_ar_s"] > 0 and cold["cold_ask_en_s"] > 0
    assert cold["import_chromadb_bm25s_s"] > 0
    assert cold["cold_ask_vs_import"] == pytest.approx(
        cold["cold_ask_s"] / cold["import_chromadb_bm25s_s"], abs=0.01
    )


def test_the_scale_report_shows_the_e5_figures_issue_13_asks_for() -> None:
    from eval.bench_report import markdown

    e5 = {
        "synthetic": {"chunks": 1000, "ingest_chunks_per_s": 2.5, "ingest_cpu_ms_per_chunk": 700},
        "bundled": {"retrieval_p95_ms": 48.25, "retrieval_cpu_ms_per_query": 61.0,
                    "retrieval_encoder_cpu_ms_per_query": 58.5},
        "cold": {"cold_ask_vs_import": 1.4},
    }  # fmt: skip
    report = markdown([{"chunks": 10, "e5": e5}])
    section = report.split("## The bundled e5 engine", 1)[1]
    for line in ("| ingest chunks/s | 2.50 |", "| ingest corpus, chunks | 1,000 |",
                 "| bundled retrieval p95 (ms; target ≤ 50) | 48.2 |",
                 "| retrieval CPU-ms per query | 61.0 |", "| of which encoding the question | 58.5 |",
                 "| cold ask / import (target ≤ 2) | 1.40 |", "| bundled ask p95 (ms) | – |"):  # fmt: skip
        assert line in section, line
    assert "## The bundled e5 engine" not in markdown([{"chunks": 10}])


def test_the_e5_bench_ends_with_issue_13s_targets_and_the_machines_load() -> None:
    from eval.bench_e5 import issue_summary

    result = {
        "load_average_start": 0.9,
        "load_average_end": 1.1,
        "bundled": {
            "retrieval_p50_ms": 27.7, "retrieval_p95_ms": 51.0, "retrieval_ar_p95_ms": 33.1,
            "retrieval_en_p95_ms": 37.2, "retrieval_encoder_wall_p95_ms": 33.1,
            "retrieval_rest_wall_p95_ms": 2.6, "retrieval_cpu_ms_per_query": 48.3,
            "retrieval_encoder_cpu_ms_per_query": 45.7,
        },
        "cold": {"cold_ask_s": 2.2, "import_chromadb_bm25s_s": 1.4, "cold_ask_vs_import": 1.54},
    }  # fmt: skip
    summary = issue_summary(result)
    assert "p95 51.0 ms (target p95 <= 50 ms: NOT met)" in summary
    assert "1.54x (target <= 2x: met)" in summary
    assert "encoding the question None/33.1 ms, the rest None/2.6 ms" in summary
    assert "CPU per question 48.3 ms, of which encoding 45.7 ms" in summary
    assert "load average (1 min) at start 0.9, at end 1.1" in summary
    assert "not measured" in issue_summary({"bundled": {}, "cold": {}})


def test_the_children_get_the_question_encoder_setting_and_no_other_assistant_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from eval.bench_e5 import e5_env

    monkeypatch.setenv("ASSISTANT_LLM_PROVIDER", "openai")
    assert "ASSISTANT_E5_NUMPY_QUERIES" not in e5_env(tmp_path, tmp_path)
    monkeypatch.setenv("ASSISTANT_E5_NUMPY_QUERIES", "true")
    env = e5_env(tmp_path, tmp_path)
    assert env["ASSISTANT_E5_NUMPY_QUERIES"] == "true"
    assert env["ASSISTANT_LLM_PROVIDER"] == "none" and env["ASSISTANT_EMBEDDER"] == "e5-engine"
