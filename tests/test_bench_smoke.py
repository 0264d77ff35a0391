"""Smoke test of the scale benchmark (``python -m eval.bench``) on a tiny corpus.

It runs the real command in a subprocess, LangChain comparison on, and checks the shape
and sanity of what it writes. It never checks a timing target: benchmarks print numbers,
unit tests do not time. The corpus generator and the small helpers are tested directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from eval.bench import combine, parse_sizes, wait_http
from eval.bench_corpus import write_corpus
from eval.bench_measure import Query, hit_rate, latency_stats
from eval.bench_report import STAGES, check_targets, markdown

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "articles"
REQUIRED = (
    "chunks", "ingest_chunks_per_s", "peak_rss_mb", "retrieval_p50_ms", "retrieval_p95_ms",
    "langchain_p50_ms", "langchain_p95_ms", "speedup_p50", "hit3", "langchain_hit3",
)  # fmt: skip
EXTRA = ("reingest_s", "ask_p50_ms", "cold_ask_s", "stage_s", "machine", "targets")


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], Path]:
    """One ``--sizes 300`` run with the LangChain baseline and its Chroma-server twin
    (``--chroma-server --server-sizes 300``), JSON and report written. One run serves both
    the embedded and the server tests: a second ``eval.bench`` process rebuilt the same
    kind of corpus and repeated the embedded measurements and cold asks only to reach
    the server run (about a third of the suite's longest module)."""
    for module in ("langchain_community", "langchain_classic", "rank_bm25"):
        pytest.importorskip(module, reason="the LangChain baseline needs the test extra")
    out = tmp_path_factory.mktemp("bench")
    cmd = [
        sys.executable, "-m", "eval.bench", "--sizes", "300", "--json", str(out / "bench.json"),
        "--report", str(out / "report"), "--cold-runs", "1", "--queries", "8", "--no-app", "--e5-size", "0",
        "--chroma-server", "--server-sizes", "300", "--work", str(out),
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "bench.json").read_text(encoding="utf-8")), out


def test_the_json_is_a_list_with_one_object_per_size(bench_run: tuple[list[dict], Path]) -> None:
    rows, _ = bench_run
    assert isinstance(rows, list) and len(rows) == 1
    assert rows[0]["size"] == 300 and rows[0]["backend"] == "embedded"


@pytest.mark.parametrize("key", REQUIRED + EXTRA)
def test_every_interface_key_is_present(bench_run: tuple[list[dict], Path], key: str) -> None:
    assert key in bench_run[0][0]


@pytest.mark.parametrize("key", REQUIRED)
def test_every_required_value_is_a_number(bench_run: tuple[list[dict], Path], key: str) -> None:
    value = bench_run[0][0][key]
    assert isinstance(value, (int, float)) and not isinstance(value, bool)


def test_the_values_are_sane(bench_run: tuple[list[dict], Path]) -> None:
    row = bench_run[0][0]
    assert 200 <= row["chunks"] <= 450
    assert row["ingest_chunks_per_s"] > 0 and 10 < row["peak_rss_mb"] < 8192
    assert 0 < row["retrieval_p50_ms"] <= row["retrieval_p95_ms"]
    assert 0 < row["langchain_p50_ms"] <= row["langchain_p95_ms"]
    # speedup_p50 is rounded to 0.1 and the latencies it is computed from are rounded too
    assert row["speedup_p50"] == pytest.approx(
        row["langchain_p50_ms"] / row["retrieval_p50_ms"], rel=0.05, abs=0.06
    )
    assert 0 <= row["hit3"] <= 1 and 0 <= row["langchain_hit3"] <= 1
    assert row["langchain_chunks"] == row["chunks"]


def test_an_unchanged_corpus_is_not_ingested_again(bench_run: tuple[list[dict], Path]) -> None:
    row = bench_run[0][0]
    assert row["reingest_changed_files"] == 0
    assert set(row["stage_s"]) <= set(STAGES)


def test_a_cold_ask_answered_and_the_skipped_page_says_why(
    bench_run: tuple[list[dict], Path],
) -> None:
    row = bench_run[0][0]
    assert row["cold_ask_s"] > 0
    assert row["page_ready_s"] is None and "no-app" in row["page_ready_note"]


def test_the_report_has_the_table_the_targets_and_a_png(bench_run: tuple[list[dict], Path]) -> None:
    _, out = bench_run
    text = (out / "report" / "bench.md").read_text(encoding="utf-8")
    assert "| chunks |" in text and "## Targets" in text
    assert "Tokens counted by: tiktoken cl100k_base (" in text  # real counts on every machine
    assert (out / "report" / "bench.png").read_bytes().startswith(b"\x89PNG")


def test_the_corpus_is_deterministic_and_keeps_the_real_articles(tmp_path: Path) -> None:
    first = write_corpus(tmp_path / "a", 200, ARTICLES, seed=3, queries=4)
    second = write_corpus(tmp_path / "b", 200, ARTICLES, seed=3, queries=4)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert all(
        (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes() for n in names
    )
    assert {p.name for p in ARTICLES.glob("*.txt")} <= set(names)
    assert first.queries == second.queries and len(first.queries) == 4


def test_a_bigger_corpus_has_a_bigger_vocabulary(tmp_path: Path) -> None:
    small = write_corpus(tmp_path / "s", 100, ARTICLES, queries=0)
    large = write_corpus(tmp_path / "l", 1000, ARTICLES, queries=0)
    assert small.vocabulary < large.vocabulary and small.files < large.files


@pytest.mark.parametrize("text", ["", "abc", "10,x", "10"])
def test_sizes_that_make_no_sense_are_refused(text: str) -> None:
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        parse_sizes(text)


def test_hit_rate_counts_only_questions_with_sources_by_file_rank() -> None:
    queries = [Query("a", "ar", ("x.txt",)), Query("b", "en", ("y.txt",)), Query("c", "ar")]
    ranked = [["p", "p", "q", "r", "x.txt"], ["y.txt"], ["z"]]  # x.txt is the 4th file
    assert hit_rate(ranked, queries) == 0.5


def test_latency_stats_of_nothing_are_none() -> None:
    assert latency_stats([], "x") == {"x_p50_ms": None, "x_p95_ms": None, "x_mean_ms": None}


def test_the_speedup_is_their_latency_over_ours() -> None:
    row = combine(
        {"retrieval_p50_ms": 2.0, "retrieval_p95_ms": 4.0},
        {"langchain_p50_ms": 200.0, "langchain_p95_ms": 100.0},
    )
    assert row["speedup_p50"] == 100.0 and row["speedup_p95"] == 25.0


def test_targets_report_missing_numbers_as_not_measured() -> None:
    checks = {
        c["key"]: c["met"] for c in check_targets({"retrieval_p95_ms": 5.0, "page_ready_s": None})
    }
    assert checks["retrieval_p95_ms"] is True and checks["page_ready_s"] is None
    assert "not measured" in markdown([{"chunks": 10, "retrieval_p95_ms": 5.0}])


def test_wait_http_sees_a_page_that_answers_200() -> None:
    class Ok(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert wait_http(f"http://127.0.0.1:{server.server_port}/", 5) is not None
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_the_chroma_server_run_nests_its_numbers_under_its_size(
    bench_run: tuple[list[dict], Path],
) -> None:
    row = bench_run[0][0]
    served = row["chroma_server"]
    assert served["backend"] == "chroma-server" and served["chunks"] == row["chunks"]
    assert served["size"] == row["size"] == 300
    assert served["hit3"] == pytest.approx(
        row["hit3"], abs=0.1
    )  # same chunks, same ranking up to HNSW
    assert "retrieval_p50_ms_ratio" in served["vs_embedded"]


def test_the_report_has_a_table_for_the_chroma_server_run(bench_run: tuple[list[dict], Path]) -> None:
    _, out = bench_run
    assert "## Chroma server (`chroma run`)" in (out / "report" / "bench.md").read_text(encoding="utf-8")
