"""Retrieval and end-to-end ``ask`` latency over a question file, on the current index.

``python -m eval.latency [--qa eval/questions.jsonl] [--repeat 3]`` opens the index from
the usual settings, warms up with one question, then times every question ``repeat``
times through :func:`assistant.retrieval.retrieve` and through ``Assistant.ask`` and
prints p50/p95 (ms) overall and by language. It measures; it asserts nothing.
For scale (1k–100k chunks) and the LangChain comparison, see ``python -m eval.bench``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from assistant.retrieval import retrieve
from assistant.service import Assistant
from assistant.settings import Settings


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values`` by linear interpolation.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
    2.5
    """
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def time_calls(call, questions: list[dict], repeat: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """Milliseconds per call, grouped by the question's ``lang`` (and "all")."""
    times: dict[str, list[float]] = {"all": []}
    for _ in range(repeat):
        for item in questions:
            start = time.perf_counter()
            call(item["question"])
            ms = (time.perf_counter() - start) * 1000
            times["all"].append(ms)
            times.setdefault(item.get("lang", "?"), []).append(ms)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    questions = [json.loads(x) for x in args.qa.read_text(encoding="utf-8").splitlines() if x.strip()]
    assistant = Assistant.from_settings(Settings())
    assistant.ask(questions[0]["question"])  # warm-up: imports, caches
    k = assistant.settings.top_k
    results = {
        "retrieval": time_calls(lambda q: retrieve(assistant.index, q, k), questions, args.repeat),
        "ask (end to end)": time_calls(assistant.ask, questions, args.repeat),
    }
    print(f"mode: {assistant.mode.to_dict()} · {assistant.index.store.count()} chunks · {len(questions)} questions")
    print("| what | lang | n | p50 ms | p95 ms | mean ms |\n|---|---|---|---|---|---|")
    for what, groups in results.items():
        for lang, ms in sorted(groups.items()):
            p50, p95 = percentile(ms, 0.5), percentile(ms, 0.95)
            print(f"| {what} | {lang} | {len(ms)} | {p50:.1f} | {p95:.1f} | {statistics.mean(ms):.1f} |")


if __name__ == "__main__":
    main()
