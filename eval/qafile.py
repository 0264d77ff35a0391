"""Read and validate the evaluation's JSON Lines files: question sets and answers files.

A question line looks like::

    {"id": "q01", "question": "...", "lang": "en", "kind": "fact",
     "sources": ["004_86293efd93ced441.txt"], "facts": [["independent", "مستقل"]],
     "answerable": true}

Only ``id`` and ``question`` are required; ``lang`` and ``kind`` default to ``"unknown"``,
``sources`` and ``facts`` to empty, ``answerable`` to true. Fields this module does not know
are ignored, so question sets written for other corpora run unchanged.

Every problem is raised as :class:`QAFileError` (a :class:`~assistant.errors.UserError`) whose
message names the file and the line, so the CLI prints it without a traceback. This module
only reads files; scoring lives in :mod:`eval.metrics`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import UserError

KINDS: tuple[str, ...] = (
    "fact",
    "speaker",
    "multi",
    "date_place",
    "summary",
    "variant",
    "diacritics",
    "unanswerable",
)
UNKNOWN = "unknown"


class QAFileError(UserError):
    """A question or answers file that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class Question:
    """One evaluation question. Only ``question`` is ever shown to the assistant."""

    id: str
    question: str
    lang: str = UNKNOWN
    kind: str = UNKNOWN
    sources: tuple[str, ...] = ()
    facts: tuple[tuple[str, ...], ...] = ()
    answerable: bool = True


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSON Lines file.

    Line numbers are 1-based, as an editor shows them. A line that is not a JSON object
    raises :class:`QAFileError` naming the file and the line.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QAFileError(f"cannot read {path}: {exc}") from exc
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise QAFileError(
                f"{path}, line {number}: invalid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(obj, dict):
            raise QAFileError(f"{path}, line {number}: expected a JSON object, got {_kind(obj)}")
        yield number, obj


def load_questions(path: Path) -> list[Question]:
    """Parse and validate a question file; ids must be unique and the file non-empty."""
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, obj in read_jsonl(path):
        where = f"{path}, line {number}"
        question = parse_question(obj, where)
        if question.id in seen:
            raise QAFileError(
                f"{where}: duplicate id {question.id!r} (first used on line {seen[question.id]})"
            )
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise QAFileError(f"{path}: no questions in file")
    return questions


def parse_question(obj: dict[str, Any], where: str) -> Question:
    """Build a :class:`Question` from one decoded line; ``where`` prefixes error messages."""
    return Question(
        id=_required_text(obj, "id", where),
        question=_required_text(obj, "question", where),
        lang=_optional_text(obj, "lang", where).lower() or UNKNOWN,
        kind=_optional_text(obj, "kind", where) or UNKNOWN,
        sources=tuple(_string_list(obj.get("sources", []), "sources", where)),
        facts=_fact_groups(obj.get("facts", []), where),
        answerable=_boolean(obj.get("answerable", True), "answerable", where),
    )


def load_answers(path: Path) -> dict[str, dict[str, Any]]:
    """Read an answers file written by the runner: ``{id: line}``; ids must be unique."""
    answers: dict[str, dict[str, Any]] = {}
    for number, obj in read_jsonl(path):
        where = f"{path}, line {number}"
        answer_id = _required_text(obj, "id", where)
        if answer_id in answers:
            raise QAFileError(f"{where}: duplicate id {answer_id!r}")
        answers[answer_id] = obj
    return answers


def _required_text(obj: dict[str, Any], name: str, where: str) -> str:
    if name not in obj:
        raise QAFileError(f"{where}: missing required field {name!r}")
    value = obj[name]
    if isinstance(value, int) and not isinstance(value, bool) and name == "id":
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise QAFileError(f"{where}: field {name!r} must be a non-empty string")
    return value.strip() if name == "id" else value


def _optional_text(obj: dict[str, Any], name: str, where: str) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise QAFileError(f"{where}: field {name!r} must be a string, got {_kind(value)}")
    return value.strip()


def _string_list(value: Any, name: str, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise QAFileError(f"{where}: field {name!r} must be a list of non-empty strings")
    return [v.strip() for v in value]


def _fact_groups(value: Any, where: str) -> tuple[tuple[str, ...], ...]:
    """``facts`` is a list of groups; a bare string is accepted as a group of one."""
    if not isinstance(value, list):
        raise QAFileError(f"{where}: field 'facts' must be a list of lists of strings")
    groups = []
    for index, group in enumerate(value, start=1):
        strings = _string_list(group, f"facts[{index}]", where)
        if not strings:
            raise QAFileError(f"{where}: field 'facts[{index}]' is an empty group")
        groups.append(tuple(strings))
    return tuple(groups)


def _boolean(value: Any, name: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise QAFileError(f"{where}: field {name!r} must be true or false, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    """JSON type name of a decoded value, for error messages."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
