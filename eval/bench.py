"""Scale benchmark: ours against LangChain's stock hybrid retriever, 1k to 100k chunks.

::

    python -m eval.bench --sizes 1000,10000,100000 --json OUT.json [--report DIR]
                         [--chroma-server [--server-sizes 1000,10000]]

For each size it writes a synthetic Arabic corpus (:mod:`eval.bench_corpus`; the five real
articles included under their own names), then, each in a fresh subprocess so peak RSS is
per size and per side:

- ours (:mod:`eval.bench_measure`): ingest into an empty store (chunks/s, per-stage seconds,
  peak RSS), re-ingest unchanged, retrieval and offline ``ask`` latency, hit@3;
- cold start: ``python -m assistant ask … --json`` with the index present (wall time and
  peak RSS), and ``app.py`` start until its page answers 200 (null when there is no app.py);
- the baseline (:mod:`eval.bench_langchain`): LangChain's ensemble on the same chunks and
  the same queries, its latency and hit@3.

Then, unless ``--e5-size 0``, the bundled e5 engine's figures (:mod:`eval.bench_e5`: ingest
chunks/s at ``--e5-size`` chunks, retrieval p95 on the bundled articles, cold ``ask`` vs
importing chromadb + bm25s), nested under ``e5`` in the first row.

Everything runs offline: hashing embedder (but for the e5 part), no LLM, no downloads. ``--chroma-server`` runs
the sizes of ``--server-sizes`` again against a real ``chroma run`` server and nests those
results under ``chroma_server`` in the row of that size, with ``reader_*``: a second app
instance with an empty local folder (first open with its BM25 build from the server, the
per-question stamp check, its query latency). Output: ``OUT.json`` (a list, one
object per size), and with ``--report DIR``, ``DIR/OUT.md`` and ``DIR/OUT.png``
(:mod:`eval.bench_report`). Numbers only: targets are checked in the report, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import UserError
from eval.bench_corpus import SEED, write_corpus
from eval.bench_measure import Query, save_queries

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "articles"
QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"
FALLBACK_QUESTIONS = (
    Query("ماذا قال لافروف عن العلاقات مع الصين؟", "ar", ("003_3fd932304ff69966.txt",), "builtin"),
    Query(
        "What did Wang Yi say about Russia and China?",
        "en",
        ("003_3fd932304ff69966.txt",),
        "builtin",
    ),
)
UNKNOWN_NAME_QUESTION = "What did Kuleba tell Blinken in Brussels?"  # names outside the lexicon
CHILD_TIMEOUT_S = 1800.0
PAGE_TIMEOUT_S = 60.0


@dataclass
class Child:
    """A finished subprocess: exit code, wall seconds, its own peak RSS, output tails."""

    returncode: int
    wall_s: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_child(cmd: Sequence[str], env: dict[str, str], timeout_s: float = CHILD_TIMEOUT_S) -> Child:
    """Run ``cmd`` to completion and reap it with ``wait4``, which yields *its* peak RSS.

    (``RUSAGE_CHILDREN`` would only give the largest of all children so far.)
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=env, cwd=ROOT)
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Child(
            proc.returncode, wall, usage.ru_maxrss / 1024, out.read().decode(errors="replace"),
            err.read().decode(errors="replace")[-4000:],
        )  # fmt: skip


def bench_env(store: Path, data: Path, server: tuple[str, int] | None) -> dict[str, str]:
    """Environment of every child: offline settings for this store, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_STORE_DIR=str(store),
        ASSISTANT_DATA_DIR=str(data),
        ASSISTANT_EMBEDDER="hashing",
        ASSISTANT_ALLOW_DOWNLOADS="false",
        ASSISTANT_LLM_PROVIDER="none",
        HF_HUB_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONPATH=str(ROOT),
    )
    if server:
        env.update(ASSISTANT_CHROMA_HOST=server[0], ASSISTANT_CHROMA_PORT=str(server[1]))
    return env


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen | None = None) -> float | None:
    """Seconds until ``url`` answers 200, or None on timeout or when ``proc`` exits first."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if proc is not None and proc.poll() is not None:
            return None
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return time.perf_counter() - started
        time.sleep(0.1)
    return None


def stop(proc: subprocess.Popen) -> None:
    """Terminate a process we started (then kill it if it lingers)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def chroma_server(path: Path) -> Iterator[tuple[str, int]]:
    """A real ``chroma run --path PATH --port N`` from this venv, stopped afterwards."""
    binary = Path(sys.executable).with_name("chroma")
    port = free_port()
    log = open(path.with_suffix(".log"), "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [str(binary), "run", "--path", str(path), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )  # fmt: skip
    try:
        if wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", 60, proc) is None:
            raise RuntimeError(f"chroma run did not start; see {path.with_suffix('.log')}")
        yield "127.0.0.1", port
    finally:
        stop(proc)
        log.close()


def eval_queries(path: Path) -> list[Query]:
    """The evaluation questions as benchmark queries (a built-in pair if the file is absent)."""
    from eval.qafile import load_questions

    if not path.exists():
        return list(FALLBACK_QUESTIONS)
    return [Query(q.question, q.lang, tuple(q.sources), "eval") for q in load_questions(path)]


def measure_side(
    side: str,
    env: dict[str, str],
    work: Path,
    queries: Path,
    persist: Path | None = None,
    timeout_s: float = CHILD_TIMEOUT_S,
) -> dict[str, Any]:
    """Run one measuring subprocess (killed after ``timeout_s``); its JSON plus its wall time
    and wait4 peak RSS."""
    out = work / f"{side}.json"
    cmd = [
        sys.executable,
        "-m",
        "eval.bench_measure",
        side,
        "--queries",
        str(queries),
        "--out",
        str(out),
    ]
    if persist is not None:
        cmd += ["--persist", str(persist)]
    child = run_child(cmd, env, timeout_s)
    if child.returncode != 0 or not out.exists():
        raise RuntimeError(f"{side} measurement failed ({child.returncode}):\n{child.stderr}")
    result = json.loads(out.read_text(encoding="utf-8"))
    result[f"{side}_process_s"] = round(child.wall_s, 2)
    result[f"{side}_process_peak_rss_mb"] = round(child.peak_rss_mb, 1)
    return result


def cold_ask(env: dict[str, str], question: str, runs: int, lang: str) -> dict[str, Any]:
    """Wall time of ``python -m assistant ask QUESTION --json`` in a new process: the median
    of ``runs``, the first run, and the largest peak RSS."""
    walls, peaks = [], []
    for _ in range(runs):
        child = run_child([sys.executable, "-m", "assistant", "ask", question, "--json"], env, 120)
        if child.returncode != 0:
            return {f"cold_ask_{lang}_s": None, "cold_ask_error": child.stderr.strip()[-300:]}
        json.loads(child.stdout)  # the answer must be valid JSON
        walls.append(child.wall_s)
        peaks.append(child.peak_rss_mb)
    return {
        f"cold_ask_{lang}_s": round(sorted(walls)[len(walls) // 2], 3),
        f"cold_ask_{lang}_first_s": round(walls[0], 3),
        f"cold_ask_{lang}_peak_rss_mb": round(max(peaks), 1),
    }


def cold_asks(env: dict[str, str], queries: list[Query], runs: int) -> dict[str, Any]:
    """Cold ``ask`` with the first Arabic and the first English question, and with an English
    question naming someone the bridge's lexicon lacks (``en_name``: that one builds the
    transliteration index over the whole vocabulary). ``cold_ask_s`` is the slowest."""
    result: dict[str, Any] = {"cold_ask_runs": runs}
    probes = {
        lang: next((q.text for q in queries if q.lang == lang and q.origin != "sampled"), None)
        for lang in ("ar", "en")
    }
    probes["en_name"] = UNKNOWN_NAME_QUESTION
    for label, question in probes.items():
        if question is not None:
            result.update(cold_ask(env, question, runs, label))
    times = [v for k, v in result.items() if k in {f"cold_ask_{p}_s" for p in probes}]
    result["cold_ask_s"] = max(times) if times and None not in times else None
    return result


def page_ready(env: dict[str, str], enabled: bool) -> dict[str, Any]:
    """Seconds from starting ``python app.py`` until its page answers 200 (None if no app)."""
    app = ROOT / "app.py"
    if not enabled or not app.exists():
        reason = "disabled (--no-app)" if not enabled else "app.py does not exist yet"
        return {"page_ready_s": None, "page_ready_note": reason}
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(app)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)},
    )  # fmt: skip
    try:
        waited = wait_http(f"http://127.0.0.1:{port}/", PAGE_TIMEOUT_S, proc)
    finally:
        stop(proc)
    if waited is None:
        tail = (
            proc.stderr.read().decode(errors="replace").strip().splitlines()[-1:]
            if proc.stderr
            else []
        )
        return {
            "page_ready_s": None,
            "page_ready_note": f"no 200 within {PAGE_TIMEOUT_S:.0f} s: {tail}",
        }
    return {"page_ready_s": round(time.perf_counter() - started, 3)}


def combine(ours: dict[str, Any], theirs: dict[str, Any] | None) -> dict[str, Any]:
    """Our numbers plus the baseline's and the ratios (their latency / ours, same queries)."""
    row = dict(ours)
    if not theirs:
        return row
    row.update(theirs)
    for stat in ("p50", "p95"):
        mine, base = ours.get(f"retrieval_{stat}_ms"), theirs.get(f"langchain_{stat}_ms")
        row[f"speedup_{stat}"] = round(base / mine, 1) if mine and base else None
    return row


def run_size(
    size: int, data: Path, work: Path, queries: list[Query], args: argparse.Namespace, server: bool
) -> dict[str, Any]:
    """Every measurement of one corpus in one backend (embedded Chroma or a server)."""
    work.mkdir(parents=True, exist_ok=True)
    query_file = work / "queries.json"
    save_queries(queries, query_file)
    with contextlib.ExitStack() as stack:
        address = stack.enter_context(chroma_server(work / "chroma-server")) if server else None
        env = bench_env(work / "store", data, address)
        ours = measure_side("ours", env, work, query_file)
        if server:  # instance B: same server, empty local folder
            ours.update(measure_side("reader", bench_env(work / "store-b", data, address), work, query_file))
        ours.update(cold_asks(env, queries, args.cold_runs))
        ours.update(page_ready(env, not args.no_app))
        theirs = None
        if not args.no_langchain:
            theirs = measure_side(
                "langchain", env, work, query_file, None if server else work / "langchain-chroma"
            )
    row = combine(ours, theirs)
    row.update(size=size, backend="chroma-server" if server else "embedded")
    return row


def server_delta(embedded: dict[str, Any], served: dict[str, Any]) -> dict[str, Any]:
    """Server / embedded ratios of the headline numbers (>1: the server is slower)."""
    keys = (
        "ingest_s",
        "reingest_s",
        "retrieval_p50_ms",
        "retrieval_p95_ms",
        "ask_p50_ms",
        "cold_ask_s",
    )
    return {
        f"{k}_ratio": round(served[k] / embedded[k], 2)
        for k in keys
        if isinstance(served.get(k), (int, float)) and embedded.get(k)
    }


def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run every size (and its server twin when asked); return the rows."""
    from eval.bench_report import check_targets, machine_info

    machine = machine_info()
    base_queries = eval_queries(args.questions)
    rows: list[dict[str, Any]] = []
    if args.work is not None:
        Path(args.work).mkdir(parents=True, exist_ok=True)  # a --work folder not made yet
    root = Path(tempfile.mkdtemp(prefix="bench-", dir=args.work))
    try:
        for size in args.sizes:
            corpus = write_corpus(root / f"data-{size}", size, ARTICLES, args.seed, args.queries)
            sampled = [Query(text, "ar", (), "sampled") for text in corpus.queries]
            print(
                f"[bench] {size} chunks: {corpus.files} files written in {corpus.seconds:.1f} s",
                file=sys.stderr,
            )
            row = run_size(
                size,
                corpus.data_dir,
                root / f"run-{size}",
                base_queries + sampled,
                args,
                server=False,
            )
            row.update(
                corpus_files=corpus.files,
                corpus_vocabulary=corpus.vocabulary,
                corpus_write_s=round(corpus.seconds, 2),
            )
            if args.chroma_server and size in args.server_sizes:
                served = run_size(
                    size,
                    corpus.data_dir,
                    root / f"server-{size}",
                    base_queries + sampled,
                    args,
                    server=True,
                )
                served["vs_embedded"] = server_delta(row, served)
                row["chroma_server"] = served
            _print_row(row)
            rows.append(row)
            if not args.keep:
                shutil.rmtree(root / f"data-{size}", ignore_errors=True)
                shutil.rmtree(root / f"run-{size}", ignore_errors=True)
                shutil.rmtree(root / f"server-{size}", ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.e5_size and rows:
        from eval.bench_e5 import bench_e5

        rows[0]["e5"] = bench_e5(args.e5_size, args.cold_runs, args.work, args.queries)
    machine["load_avg_end_1m"] = round(os.getloadavg()[0], 2)
    for row in rows:
        row["targets"] = check_targets(row)
        row["machine"] = machine
    return rows


def _print_row(row: dict[str, Any]) -> None:
    keys = ("chunks", "ingest_chunks_per_s", "peak_rss_mb", "retrieval_p50_ms", "retrieval_p95_ms",
            "langchain_p50_ms", "speedup_p50", "hit3", "langchain_hit3")  # fmt: skip
    print("[bench] " + ", ".join(f"{k}={row.get(k)}" for k in keys), file=sys.stderr)


def parse_sizes(text: str) -> list[int]:
    """``"1000,10000"`` -> ``[1000, 10000]``; a clear error for anything else.

    >>> parse_sizes("1000, 1e4")
    [1000, 10000]
    """
    try:
        sizes = [int(float(part)) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes must be numbers separated by commas, not {text!r}"
        ) from None
    if not sizes or min(sizes) < 50:
        raise argparse.ArgumentTypeError("each size must be at least 50 chunks")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    """The command line (see module doc)."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[1000, 10000, 100000],
        help="chunks per corpus, comma-separated",
    )
    parser.add_argument(
        "--json", type=Path, required=True, help="where to write the results (a JSON list)"
    )
    parser.add_argument(
        "--report", type=Path, help="folder for <json stem>.md and .png (the table and the plot)"
    )
    parser.add_argument(
        "--chroma-server", action="store_true", help="also run against a `chroma run` server"
    )
    parser.add_argument(
        "--server-sizes", type=parse_sizes, default=[1000, 10000], help="sizes for --chroma-server"
    )
    parser.add_argument("--no-langchain", action="store_true", help="skip the LangChain baseline")
    parser.add_argument(
        "--no-app", action="store_true", help="skip the app.py page-ready measurement"
    )
    parser.add_argument(
        "--cold-runs", type=int, default=3, help="cold `ask` processes per size (median)"
    )
    parser.add_argument(
        "--queries", type=int, default=60, help="sampled article spans added as queries"
    )
    parser.add_argument(
        "--questions", type=Path, default=QUESTIONS, help="evaluation questions (JSON Lines)"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="corpus seed")
    parser.add_argument(
        "--work", type=Path, default=None, help="folder for temporary corpora and stores"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpora and stores")
    parser.add_argument(
        "--e5-size",
        type=int,
        default=1000,
        help="chunks of the e5-engine ingest corpus (eval.bench_e5; ~4 chunks/s); 0 skips e5",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: run, write JSON (and the report), print a one-line summary per size."""
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still clean up temp stores
    started = time.perf_counter()
    try:
        rows = bench(args)
    except (UserError, RuntimeError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for row in rows:
        row["bench_total_s"] = round(time.perf_counter() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.report:
        from eval.bench_report import write_report

        write_report(rows, args.report, stem=args.json.stem)
    print(f"[bench] done in {time.perf_counter() - started:.0f} s: {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
