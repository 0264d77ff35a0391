"""What one benchmark subprocess measures: our ingest, re-ingest, retrieval and ``ask``.

``python -m eval.bench_measure ours --queries Q.json --out R.json`` runs in a fresh process
per corpus size (so its peak RSS belongs to that size alone). Settings come from the
``ASSISTANT_*`` variables the parent sets (store, data folder, hashing embedder, no
downloads, no LLM, optionally a Chroma server), exactly as the CLI would read them.
``python -m eval.bench_measure langchain ...`` does the same for the LangChain baseline
(:mod:`eval.bench_langchain`). ``python -m eval.bench_measure reader ...`` is a second app
instance on the same Chroma server with an empty local folder (``--chroma-server`` only).

Shared helpers (peak RSS, percentiles, file hit@k, the query set) live here too, so the
two sides are timed and scored by the same code. This module times and scores; it does
not generate corpora (:mod:`eval.bench_corpus`) or format reports (:mod:`eval.bench_report`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eval.metrics import percentile, source_rank

HIT_K = 3


@dataclass(frozen=True)
class Query:
    """One benchmark query: an evaluation question (with its files) or a sampled span."""

    text: str
    lang: str
    sources: tuple[str, ...] = ()
    origin: str = "sampled"


def save_queries(queries: Sequence[Query], path: Path) -> None:
    """Write the query set the parent chose, so both sides ask exactly the same."""
    path.write_text(json.dumps([asdict(q) for q in queries], ensure_ascii=False), encoding="utf-8")


def load_queries(path: Path) -> list[Query]:
    """Read a query set written by :func:`save_queries`."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [Query(r["text"], r["lang"], tuple(r["sources"]), r["origin"]) for r in rows]


def _proc_status_mb(field: str) -> float | None:
    """A ``kB`` field of /proc/self/status in MB, or None where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (VmHWM; ru_maxrss elsewhere)."""
    peak = _proc_status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """This process's resident set size now, in MB (0 where /proc is missing)."""
    return _proc_status_mb("VmRSS") or 0.0


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the next phase has its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def latency_stats(samples_ms: Sequence[float], prefix: str) -> dict[str, float | None]:
    """``{prefix_p50_ms, prefix_p95_ms, prefix_mean_ms}`` of a list of milliseconds.

    >>> latency_stats([1.0, 2.0, 3.0], "x")["x_p50_ms"]
    2.0
    """
    mean = sum(samples_ms) / len(samples_ms) if samples_ms else None
    return {
        f"{prefix}_p50_ms": _round(percentile(samples_ms, 50)),
        f"{prefix}_p95_ms": _round(percentile(samples_ms, 95)),
        f"{prefix}_mean_ms": _round(mean),
    }


def hit_rate(
    ranked_sources: Sequence[Sequence[str]], queries: Sequence[Query], k: int = HIT_K
) -> float | None:
    """Share of queries with ``sources`` whose first relevant *file* ranks within ``k``.

    Same definition as the evaluation's hit@k (:func:`eval.metrics.source_rank`).

    >>> hit_rate([["a", "b"], ["c"]], [Query("q", "ar", ("b",)), Query("r", "ar", ("x",))], 1)
    0.0
    """
    scored = [
        (rank is not None and rank <= k)
        for sources, q in zip(ranked_sources, queries, strict=True)
        if q.sources
        for rank in [source_rank([{"source": s} for s in sources], q.sources)]
    ]
    return round(sum(scored) / len(scored), 4) if scored else None


def timed_queries(
    queries: Sequence[Query],
    search: Callable[[str], list[str]],
    prefix: str,
    samples_out: list[float] | None = None,
) -> tuple[dict[str, Any], list[list[str]]]:
    """Run ``search`` (question -> ranked source files) once per query, after one warm-up
    per language (timed apart: the first English question builds the bridge's index);
    latency percentiles overall and per language, and each query's files. Each query's
    milliseconds are also appended to ``samples_out`` when given."""
    first: dict[str, float] = {}
    for lang in sorted({q.lang for q in queries}):
        started = time.perf_counter()
        search(next(q.text for q in queries if q.lang == lang))
        first[f"{prefix}_first_{lang}_ms"] = round((time.perf_counter() - started) * 1000, 1)
    samples: list[float] = []
    ranked: list[list[str]] = []
    for query in queries:
        started = time.perf_counter()
        ranked.append(search(query.text))
        samples.append((time.perf_counter() - started) * 1000)
    if samples_out is not None:
        samples_out.extend(samples)
    stats = latency_stats(samples, prefix)
    for lang in sorted({q.lang for q in queries}):
        picked = [s for s, q in zip(samples, queries, strict=True) if q.lang == lang]
        stats.update(latency_stats(picked, f"{prefix}_{lang}"))
    return {**stats, **first}, ranked


def quality(ranked: Sequence[Sequence[str]], queries: Sequence[Query], key: str) -> dict[str, Any]:
    """hit@3 over the evaluation questions, overall and per language."""
    result: dict[str, Any] = {key: hit_rate(ranked, queries)}
    for lang in sorted({q.lang for q in queries if q.sources}):
        pairs = [(r, q) for r, q in zip(ranked, queries, strict=True) if q.lang == lang]
        result[f"{key}_{lang}"] = hit_rate([r for r, _ in pairs], [q for _, q in pairs])
    result["hit_questions"] = sum(1 for q in queries if q.sources)
    return result


def measure_ingest(settings: Any) -> dict[str, Any]:
    """Ingest the data folder into an empty store, then again unchanged; time both."""
    from assistant.ingest import ingest

    started, cpu_started = time.perf_counter(), _cpu_s()
    report = ingest(settings)
    seconds, cpu = time.perf_counter() - started, _cpu_s() - cpu_started
    result: dict[str, Any] = {
        # CPU seconds of this process (all its threads): comparable across machine loads,
        # unlike chunks/s on a shared machine. The prepare worker's CPU is not included.
        "ingest_cpu_s": round(cpu, 3),
        "ingest_cpu_ms_per_chunk": round(cpu * 1000 / report.chunks, 2) if report.chunks else None,
        "chunks": report.chunks,
        "files": len(report.added) + len(report.updated),
        "skipped_files": len(report.skipped),
        "ingest_s": round(seconds, 3),
        "ingest_chunks_per_s": round(report.chunks / seconds, 1) if seconds else None,
        "stage_s": {k: round(v, 3) for k, v in sorted(report.timings.items())},
        "ingest_other_s": round(seconds - report.foreground_seconds(), 3),
        "ingest_peak_rss_mb": round(peak_rss_mb(), 1),
    }
    started = time.perf_counter()
    again = ingest(settings)
    result["reingest_s"] = round(time.perf_counter() - started, 3)
    result["reingest_stage_s"] = {k: round(v, 3) for k, v in sorted(again.timings.items())}
    result["reingest_changed_files"] = len(again.added) + len(again.updated) + len(again.removed)
    return result


def _cpu_s() -> float:
    """User + system CPU seconds of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class EncoderClock:
    """An embedder wrapper adding up the process CPU seconds its ``embed_query`` calls take
    (all threads: the engine's OpenMP workers count) and keeping each call's wall
    milliseconds, everything else passed through."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self.cpu_s = 0.0
        self.wall_ms: list[float] = []

    def embed_query(self, text: str) -> Any:
        started, wall_started = _cpu_s(), time.perf_counter()
        try:
            return self.embedder.embed_query(text)
        finally:
            self.cpu_s += _cpu_s() - started
            self.wall_ms.append((time.perf_counter() - wall_started) * 1000)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.embedder, name)


def wall_split(totals_ms: Sequence[float], encoder_ms: Sequence[float]) -> dict[str, Any]:
    """Where each timed retrieval's wall time went: encoding the question (the last
    ``len(totals_ms)`` encoder calls, one per retrieval) and the rest (analysis, search,
    fusion), as p50/p95; empty when the calls do not pair up one to one.

    >>> wall_split([10.0, 20.0, 30.0], [1.0, 8.0, 16.0, 25.0])["retrieval_rest_wall_p50_ms"]
    4.0
    """
    if not totals_ms or len(encoder_ms) < len(totals_ms):
        return {}
    encoding = list(encoder_ms[-len(totals_ms) :])
    rest = [total - enc for total, enc in zip(totals_ms, encoding, strict=True)]
    return {
        **latency_stats(encoding, "retrieval_encoder_wall"),
        **latency_stats(rest, "retrieval_rest_wall"),
    }


def measure_serving(settings: Any, queries: Sequence[Query]) -> dict[str, Any]:
    """Open the index as a reader would, then time ``retrieve`` and ``Assistant.ask``."""
    from assistant.index import open_index
    from assistant.retrieval import retrieve
    from assistant.service import Assistant

    reset_peak_rss()
    started = time.perf_counter()
    index = open_index(settings)
    result: dict[str, Any] = {"open_index_s": round(time.perf_counter() - started, 3)}

    def search(question: str) -> list[str]:
        return [r.chunk.source for r in retrieve(index, question, settings.top_k)[1]]

    encoder = EncoderClock(index.embedder)
    index.embedder = encoder
    cpu_started = _cpu_s()
    totals: list[float] = []
    stats, ranked = timed_queries(queries, search, "retrieval", totals)
    # Mean CPU per retrieval (warm-ups included): what a query costs whatever the load; and
    # the part of it spent encoding the question (the rest is ours: analysis, search, fusion).
    runs = len(queries) + len({q.lang for q in queries})
    result["retrieval_cpu_ms_per_query"] = round((_cpu_s() - cpu_started) * 1000 / runs, 2)
    result["retrieval_encoder_cpu_ms_per_query"] = round(encoder.cpu_s * 1000 / runs, 2)
    result.update(wall_split(totals, encoder.wall_ms))
    index.embedder = encoder.embedder
    result.update(stats)
    result.update(quality(ranked, queries, "hit3"))
    assistant = Assistant(settings, index, None)

    def ask(question: str) -> list[str]:
        return [r.chunk.source for r in assistant.ask(question).retrieved]

    ask_stats, _ = timed_queries(queries, ask, "ask")
    result.update(ask_stats)
    result["serving_peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["embedder"] = index.embedder.id
    return result


def measure_ours(queries: Sequence[Query]) -> dict[str, Any]:
    """Everything our side reports for one size (see module doc)."""
    from assistant.settings import Settings
    from assistant.tokens import get_token_counter

    settings = Settings()
    result = measure_ingest(settings)
    result.update(measure_serving(settings, queries))
    result["token_counter"] = get_token_counter(settings).name
    result["peak_rss_mb"] = max(result["ingest_peak_rss_mb"], result["serving_peak_rss_mb"])
    return result


def measure_reader(queries: Sequence[Query]) -> dict[str, Any]:
    """A second app instance on a Chroma server that ``ours`` filled, with an empty local
    folder: its first open (manifest read from the server, BM25 built from the server's
    chunks and cached), that build's parts, a cached reopen, the per-question stamp check,
    and its retrieval and ``ask`` latency (each ``ask`` checks the stamp)."""
    from assistant.index import open_index
    from assistant.retrieval import retrieve
    from assistant.service import Assistant
    from assistant.settings import Settings
    from vectorstore import lexical

    settings = Settings()
    started = time.perf_counter()
    index = open_index(settings)
    result: dict[str, Any] = {"reader_first_open_s": round(time.perf_counter() - started, 3)}
    assert index.store is not None and index.meta is not None, "the reader needs a Chroma server"
    result["reader_chunks"] = len(index.manifest.all_ids())
    started = time.perf_counter()
    index.meta.files()
    result["reader_manifest_read_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    chunks = list(index.store.get_many(sorted(index.manifest.all_ids())))
    result["reader_chunk_fetch_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    lexical.build(chunks)
    result["reader_bm25_build_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    open_index(settings)
    result["reader_cached_open_s"] = round(time.perf_counter() - started, 3)
    checks = []
    for _ in range(200):
        started = time.perf_counter()
        index.sync()
        checks.append((time.perf_counter() - started) * 1000)
    result.update(latency_stats(checks, "reader_stamp_check"))

    def search(question: str) -> list[str]:
        return [r.chunk.source for r in retrieve(index, question, settings.top_k)[1]]

    stats, ranked = timed_queries(queries, search, "reader_retrieval")
    result.update(stats)
    result.update(quality(ranked, queries, "reader_hit3"))
    assistant = Assistant(settings, index, None)
    ask_stats, _ = timed_queries(
        queries, lambda q: [r.chunk.source for r in assistant.ask(q).retrieved], "reader_ask"
    )
    result.update(ask_stats)
    result["reader_peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def main(argv: list[str] | None = None) -> int:
    """Subprocess entry point: measure one side for the current settings, write JSON."""
    parser = argparse.ArgumentParser(prog="python -m eval.bench_measure")
    parser.add_argument("side", choices=["ours", "reader", "langchain"])
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--persist", type=Path, help="LangChain's Chroma folder (embedded mode)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    queries = load_queries(args.queries)
    if args.side == "ours":
        result = measure_ours(queries)
    elif args.side == "reader":
        result = measure_reader(queries)
    else:
        from eval.bench_langchain import measure_langchain

        result = measure_langchain(queries, args.persist)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
