"""Score an answers file against its question file: retrieval, facts, citations, abstention.

Each question is scored on its own (:func:`score_question`), then the scores are averaged
over the whole set, per question language and per question kind (:func:`aggregate`).

Definitions (a metric is ``None`` when no question qualifies for it):

- ``hit@1``, ``hit@3``, ``mrr``: over questions with ``sources``. ``retrieved`` is reduced to
  its files, first occurrence kept, and the rank is that of the first file in ``sources``.
- ``fact_recall``: over answerable questions with facts, the mean fraction of fact groups met.
  A group is met when one of its strings occurs in the answer, both sides passed through
  :func:`assistant.arabic.normalize` (diacritics, tatweel, hamza, ة/ى, Latin case).
- ``citation_precision`` = |cited ∩ sources| / |cited| (answerable questions that cite
  something); ``citation_recall`` = |cited ∩ sources| / |sources| (answerable questions).
- ``abstention_accuracy``: share of unanswerable questions answered with ``abstained``;
  ``false_abstention_rate``: share of answerable questions answered with ``abstained``.
- ``language_match``: answer ``language`` equals the question's ``lang`` (known ``lang`` only).
- latency percentiles and median answer length: over lines without ``error``.

A line with ``error`` (or a question missing from the answers file) has empty defaults, so
it counts as a miss everywhere except the latency and length statistics.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.arabic import normalize
from eval.qafile import KINDS, UNKNOWN, Question
from eval.runner import error_line

MISSING_ANSWER = "no line for this question in the answers file"

# name -> (label shown in reports, True when higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "hit@1": ("Source hit@1", True),
    "hit@3": ("Source hit@3", True),
    "mrr": ("Source MRR", True),
    "fact_recall": ("Fact recall", True),
    "citation_precision": ("Citation precision", True),
    "citation_recall": ("Citation recall", True),
    "abstention_accuracy": ("Abstention accuracy (unanswerable)", True),
    "false_abstention_rate": ("False abstention rate (answerable)", False),
    "language_match": ("Answer language match", True),
    "latency_p50_ms": ("Latency p50 (ms)", False),
    "latency_p95_ms": ("Latency p95 (ms)", False),
    "median_answer_chars": ("Median answer length (chars)", False),
    "error_rate": ("Error rate", False),
    "judge_faithfulness": ("Judge faithfulness (1-5)", True),
    "judge_correctness": ("Judge correctness (1-5)", True),
}
RATE_METRICS = frozenset(
    {
        "hit@1",
        "hit@3",
        "fact_recall",
        "citation_precision",
        "citation_recall",
        "abstention_accuracy",
        "false_abstention_rate",
        "language_match",
        "error_rate",
    }
)


def ranked_files(retrieved: Iterable[dict[str, Any]]) -> list[str]:
    """Files of the retrieved passages in rank order, each kept at its first occurrence.

    >>> ranked_files([{"source": "a"}, {"source": "b"}, {"source": "a"}, {"source": "c"}])
    ['a', 'b', 'c']
    """
    files: list[str] = []
    for entry in retrieved:
        source = str(entry.get("source", ""))
        if source and source not in files:
            files.append(source)
    return files


def source_rank(retrieved: Iterable[dict[str, Any]], sources: Iterable[str]) -> int | None:
    """1-based rank of the first retrieved file that is in ``sources``; ``None`` if none is.

    >>> source_rank([{"source": "a"}, {"source": "a"}, {"source": "b"}], ["b"])
    2
    """
    wanted = set(sources)
    for rank, source in enumerate(ranked_files(retrieved), start=1):
        if source in wanted:
            return rank
    return None


def fact_group_met(answer_text: str, group: Iterable[str]) -> bool:
    """True when any string of ``group`` occurs in the answer, after normalisation.

    >>> fact_group_met("قال إنه موقف مستقل", ["مُسْتَقِلّ", "independent"])
    True
    """
    haystack = normalize(answer_text)
    return any(needle and needle in haystack for needle in (normalize(s) for s in group))


def facts_met(answer_text: str, facts: Sequence[Sequence[str]]) -> int:
    """How many fact groups the answer meets."""
    return sum(1 for group in facts if fact_group_met(answer_text, group))


def cited_files(line: dict[str, Any]) -> list[str]:
    """Distinct files cited by an answer line, in citation order."""
    return ranked_files(line.get("citations") or [])


def citation_scores(cited: Sequence[str], sources: Sequence[str]) -> tuple[float | None, ...]:
    """``(precision, recall)`` of cited files against ``sources``; ``None`` when undefined.

    >>> citation_scores(["a", "b"], ["a", "c", "d", "e"])
    (0.5, 0.25)
    """
    hits = len(set(cited) & set(sources))
    precision = hits / len(set(cited)) if cited else None
    recall = hits / len(set(sources)) if sources else None
    return precision, recall


def score_question(question: Question, line: dict[str, Any]) -> dict[str, Any]:
    """Per-question scores; a field is ``None`` when the question does not qualify for it."""
    rank = source_rank(line.get("retrieved") or [], question.sources)
    has_sources = bool(question.sources)
    answer_text = str(line.get("answer") or "")
    scored_facts = question.answerable and bool(question.facts)
    met = facts_met(answer_text, question.facts) if scored_facts else 0
    cited = cited_files(line)
    precision, recall = citation_scores(cited, question.sources)
    language = str(line.get("language") or "")
    judge = line.get("judge") if isinstance(line.get("judge"), dict) else {}
    return {
        "id": question.id,
        "question": question.question,
        "lang": question.lang,
        "kind": question.kind,
        "answerable": question.answerable,
        "rank": rank,
        "hit@1": (rank == 1) if has_sources else None,
        "hit@3": (rank is not None and rank <= 3) if has_sources else None,
        "rr": (1.0 / rank if rank else 0.0) if has_sources else None,
        "facts_met": met,
        "facts_total": len(question.facts) if scored_facts else 0,
        "fact_recall": met / len(question.facts) if scored_facts else None,
        "cited": cited,
        "citation_precision": precision if question.answerable else None,
        "citation_recall": recall if question.answerable else None,
        "abstained": bool(line.get("abstained", False)),
        "answer_language": language,
        "language_match": (language == question.lang) if question.lang != UNKNOWN else None,
        "latency_ms": _number(line.get("latency_ms")),
        "answer_chars": len(answer_text),
        "error": line.get("error") or None,
        "judge_faithfulness": _number(judge.get("faithfulness")),
        "judge_correctness": _number(judge.get("correctness")),
    }


def aggregate(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Average per-question scores into the metrics of :data:`METRICS` plus counts."""
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    healthy = [r for r in records if not r["error"]]
    latencies = [r["latency_ms"] for r in healthy if r["latency_ms"] is not None]
    return {
        "n": len(records),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "errors": len(records) - len(healthy),
        "hit@1": _mean(r["hit@1"] for r in records),
        "hit@3": _mean(r["hit@3"] for r in records),
        "mrr": _mean(r["rr"] for r in records),
        "fact_recall": _mean(r["fact_recall"] for r in records),
        "citation_precision": _mean(r["citation_precision"] for r in records),
        "citation_recall": _mean(r["citation_recall"] for r in records),
        "abstention_accuracy": _mean(r["abstained"] for r in unanswerable),
        "false_abstention_rate": _mean(r["abstained"] for r in answerable),
        "language_match": _mean(r["language_match"] for r in records),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "median_answer_chars": _median([r["answer_chars"] for r in healthy]),
        "error_rate": _mean(r["error"] is not None for r in records),
        "judge_faithfulness": _mean(r["judge_faithfulness"] for r in records),
        "judge_correctness": _mean(r["judge_correctness"] for r in records),
    }


def compute_metrics(
    questions: Sequence[Question], answers: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Join answers to questions by id and score them overall, per language and per kind.

    Questions without an answer line count as errors; answer lines whose id is not in the
    question file are ignored and listed under ``unmatched_answer_ids``.
    """
    records = [score_question(q, answers.get(q.id) or _missing(q)) for q in questions]
    known = {q.id for q in questions}
    return {
        "n_questions": len(questions),
        "n_missing": sum(1 for q in questions if q.id not in answers),
        "unmatched_answer_ids": sorted(set(answers) - known),
        "modes": modes_of(answers[q.id] for q in questions if q.id in answers),
        "overall": aggregate(records),
        "by_lang": _grouped(records, "lang"),
        "by_kind": _grouped(records, "kind"),
        "questions": records,
    }


def modes_of(lines: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """Distinct ``mode`` values of the answered lines (errors carry no reliable mode)."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for line in lines:
        mode = line.get("mode") or {}
        if line.get("error") or not isinstance(mode, dict):
            continue
        key = (str(mode.get("embedder", "")), str(mode.get("llm", "")))
        seen.setdefault(key, {"embedder": key[0], "llm": key[1]})
    return [seen[key] for key in sorted(seen)]


def index_lines(lines: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{id: line}`` for lines as returned by :func:`eval.runner.run_questions`."""
    return {str(line["id"]): line for line in lines}


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method); ``None`` for no values.

    >>> percentile([10, 20, 30, 40], 50), percentile([10, 20, 30, 40], 95)
    (25.0, 38.5)
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    fraction = position - low
    return float(ordered[low] + (ordered[high] - ordered[low]) * fraction)


def _grouped(records: Sequence[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    values = sorted({r[key] for r in records}, key=_group_order)
    return {value: aggregate([r for r in records if r[key] == value]) for value in values}


def _group_order(value: str) -> tuple[int, str]:
    """Languages and kinds in a stable reading order: ar, en, the known kinds, then others."""
    preferred = ("ar", "en", *KINDS)
    return (preferred.index(value), value) if value in preferred else (len(preferred), value)


def _missing(question: Question) -> dict[str, Any]:
    return error_line(question, MISSING_ANSWER, 0.0)


def _mean(values: Iterable[bool | float | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
