"""Ask every question of a question set and write one JSON line per answer.

The runner sees the assistant only as ``ask(question_text) -> Answer``: it never passes
``sources``, ``facts`` or any other field of the question file, so the evaluation cannot
leak the expected answer. Each output line is ``Answer.to_dict()`` plus ``id`` and
``latency_ms`` (and ``judge`` when a judge is given). A question that raises is recorded
with ``"error": "<message>"`` and empty defaults, and the run goes on.

Scoring is not done here: see :mod:`eval.metrics`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.errors import UserError
from assistant.models import Answer
from eval.qafile import Question

AskFn = Callable[[str], Answer]
JudgeFn = Callable[[Question, Answer], dict[str, Any]]

EMPTY_MODE: dict[str, str] = {"embedder": "", "llm": ""}


def run_questions(
    ask: AskFn,
    questions: Sequence[Question],
    out_path: Path,
    progress: bool = True,
    *,
    mode: dict[str, str] | None = None,
    judge: JudgeFn | None = None,
) -> list[dict[str, Any]]:
    """Answer ``questions`` in order, writing each line to ``out_path`` as soon as it exists.

    Lines are flushed one by one, so an interrupted run keeps what it answered. ``mode``
    fills the ``mode`` field of lines for questions that failed (answered lines carry the
    answer's own mode). Returns the lines written.
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    lines: list[dict[str, Any]] = []
    with out_path.open("w", encoding="utf-8") as out:
        bar = tqdm(questions, desc="eval", unit="q", file=sys.stderr, disable=not progress)
        for question in bar:
            line = answer_line(ask, question, mode=mode, judge=judge)
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
            lines.append(line)
    return lines


def answer_line(
    ask: AskFn,
    question: Question,
    *,
    mode: dict[str, str] | None = None,
    judge: JudgeFn | None = None,
) -> dict[str, Any]:
    """Ask one question and build its output line; exceptions become an ``error`` line."""
    started = time.perf_counter()
    try:
        answer = ask(question.question)
        payload = answer.to_dict()
    except Exception as exc:  # one failing question must not stop the run
        return error_line(question, error_message(exc), _elapsed_ms(started), mode)
    line: dict[str, Any] = {"id": question.id, **payload, "latency_ms": _elapsed_ms(started)}
    if judge is not None:
        line["judge"] = judge(question, answer)
    return line


def error_line(
    question: Question, message: str, latency_ms: float, mode: dict[str, str] | None = None
) -> dict[str, Any]:
    """The line recorded for a question whose answer failed: same keys, empty values."""
    return {
        "id": question.id,
        "question": question.question,
        "answer": "",
        "language": "",
        "abstained": False,
        "citations": [],
        "retrieved": [],
        "mode": dict(mode or EMPTY_MODE),
        "latency_ms": latency_ms,
        "error": message,
    }


def error_message(exc: BaseException) -> str:
    """User errors read as their message; anything else is prefixed with its type.

    >>> error_message(ValueError("bad")), error_message(UserError("index is empty"))
    ('ValueError: bad', 'index is empty')
    """
    text = str(exc).strip()
    if isinstance(exc, UserError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 1)
