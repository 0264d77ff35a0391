"""The evaluation's question sets side by side: the main set and each held-out set.

Eight sets, each a question file over its own article folder:

- ``main`` (``eval/questions.jsonl`` over ``data/articles``): the set the pipeline was tuned on;
- ``heldout`` (``eval/heldout/``): articles nobody tuned on at first, since used to diagnose
  and calibrate, so no longer unseen;
- ``calibration`` (``eval/calibration/``): three articles written to measure refusal rules
  (unanswerable questions of the kinds a journalist asks), calibrated on;
- ``heldout2`` (``eval/heldout2/``): sealed until it was run after a session's answer work;
  never tuned on, but its results have been read, so no longer a blind check;
- ``heldout3`` (``eval/heldout3/``): sealed until it was run on a session's answer work and
  used to withdraw refusal rules; never tuned on, now a development set;
- ``heldout4`` (``eval/heldout4/``): sealed until the lead ran it once on 2026-12-02; never
  tuned on, now a development set;
- ``heldout5`` (``eval/heldout5/``): sealed until the lead ran it once, blind, at the end of
  the third session of 2026-12-02; one defect it showed was then fixed, so it is now a
  development set;
- ``heldout6`` (``eval/heldout6/``): the sealed set, written on 2026-12-02 for the next
  session, never tuned, diagnosed or run during development; its figures say how well the
  product generalises. While developing, run the others (``--sets main,heldout,calibration,
  heldout2,heldout3,heldout4,heldout5``): a sealed set is spent once work reacts to it.

A suite run (``python -m eval suite --out DIR``, see :mod:`eval.cli`) writes, per set,
``DIR/<set>.jsonl`` (answers) and ``DIR/<set>/`` (report), then ``DIR/suite.md`` with one
column per set and language. Two such folders compare set by set
(``python -m eval compare DIR_A DIR_B``).

What it does not do: answer or score questions (:mod:`eval.runner`, :mod:`eval.metrics`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import UserError
from eval.report import describe_modes, metrics_table

EVAL_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = EVAL_DIR.parent
SUITE_REPORT = "suite.md"


@dataclass(frozen=True)
class EvalSet:
    """One question set, the article folder its questions are about, and what it is for."""

    name: str
    qa: Path
    articles: Path
    purpose: str


SETS: tuple[EvalSet, ...] = (
    EvalSet(
        "main",
        EVAL_DIR / "questions.jsonl",
        PROJECT_ROOT / "data" / "articles",
        "the five bundled articles: tuned on",
    ),
    EvalSet(
        "heldout",
        EVAL_DIR / "heldout" / "questions.jsonl",
        EVAL_DIR / "heldout" / "articles",
        "held-out articles: calibrated and diagnosed on",
    ),
    EvalSet(
        "calibration",
        EVAL_DIR / "calibration" / "questions.jsonl",
        EVAL_DIR / "calibration" / "articles",
        "calibration articles written to measure refusals: calibrated on",
    ),
    EvalSet(
        "heldout2",
        EVAL_DIR / "heldout2" / "questions.jsonl",
        EVAL_DIR / "heldout2" / "articles",
        "held-out articles: never tuned on, run once after answer work",
    ),
    EvalSet(
        "heldout3",
        EVAL_DIR / "heldout3" / "questions.jsonl",
        EVAL_DIR / "heldout3" / "articles",
        "held-out articles: never tuned on, run once and used to withdraw refusal rules",
    ),
    EvalSet(
        "heldout4",
        EVAL_DIR / "heldout4" / "questions.jsonl",
        EVAL_DIR / "heldout4" / "articles",
        "held-out articles: never tuned on, run once on 2026-12-02, now a development set",
    ),
    EvalSet(
        "heldout5",
        EVAL_DIR / "heldout5" / "questions.jsonl",
        EVAL_DIR / "heldout5" / "articles",
        "held-out articles: never tuned on, run once, blind, at the end of 2026-12-02's third "
        "session, now a development set",
    ),
    EvalSet(
        "heldout6",
        EVAL_DIR / "heldout6" / "questions.jsonl",
        EVAL_DIR / "heldout6" / "articles",
        "sealed held-out articles, written on 2026-12-02 for the next session: never tuned on",
    ),
)


def select_sets(names: str | None) -> list[EvalSet]:
    """The sets named in a comma-separated list (all of :data:`SETS` when ``None``).

    >>> [s.name for s in select_sets("heldout3,main")]
    ['heldout3', 'main']
    """
    if names is None:
        return list(SETS)
    known = {s.name: s for s in SETS}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        raise UserError(f"--sets {names!r}: choose among {', '.join(known)}")
    return [known[n] for n in wanted]


def answers_path(folder: Path, name: str) -> Path:
    """Where a suite run writes the answers of set ``name``."""
    return folder / f"{name}.jsonl"


def language_columns(results: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One column per set and question language: ``{"main ar": group, "main en": …}``."""
    columns: dict[str, dict[str, Any]] = {}
    for name, metrics in results.items():
        for language, group in metrics["by_lang"].items():
            columns[f"{name} {language}"] = group
    return columns


def render_suite(results: Mapping[str, dict[str, Any]], sets: Sequence[EvalSet]) -> str:
    """``suite.md``: what each set is for, then overall and per-language tables side by side."""
    purposes = {s.name: s.purpose for s in sets}
    listing = [
        f"- **{name}** ({purposes.get(name, 'custom set')}): {m['n_questions']} questions, "
        f"mode {describe_modes(m['modes'])}"
        for name, m in results.items()
    ]
    parts = [
        "# Q&A evaluation: main set beside the held-out sets",
        "\n".join(listing),
        "## Overall, one column per set",
        metrics_table({name: m["overall"] for name, m in results.items()}),
        "## By question language, one column per set and language",
        metrics_table(language_columns(results)),
        "Each set's own report (by kind, questions to look at) is in the folder named after it.",
    ]
    return "\n\n".join(parts) + "\n"


def is_suite_folder(path: Path) -> bool:
    """True when ``path`` is a folder a suite run wrote (it holds ``suite.md``)."""
    return path.is_dir() and (path / SUITE_REPORT).is_file()


def shared_sets(a: Path, b: Path) -> list[EvalSet]:
    """The known sets both suite folders hold answers for, in :data:`SETS` order."""
    found = [
        s for s in SETS if answers_path(a, s.name).is_file() and answers_path(b, s.name).is_file()
    ]
    if not found:
        raise UserError(f"{a} and {b}: no question set answered in both suite folders")
    return found
