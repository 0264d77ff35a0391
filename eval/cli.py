"""Command line of the evaluation: run a question set, re-score a run, compare two runs.

::

    python -m eval --qa eval/questions.jsonl --answers answers.jsonl [--report report/] [--judge]
    python -m eval --qa eval/heldout/questions.jsonl --data-dir eval/heldout/articles --answers a.jsonl
    python -m eval report answers.jsonl [--qa eval/questions.jsonl] --report report/
    python -m eval compare A.jsonl B.jsonl [--qa eval/questions.jsonl] [--report DIR]
    python -m eval suite --out DIR
        [--sets main,heldout,calibration,heldout2,heldout3,heldout4,heldout5,heldout6]
        [--store-dir ROOT]
    python -m eval compare SUITE_DIR_A SUITE_DIR_B [--report DIR]

``suite`` runs the main set and each held-out set (see :mod:`eval.suite`) over their own
article folders and writes one report with a column per set and language; ``compare`` given
two suite folders compares them set by set.

The run asks every question through the same API the web page uses
(``Assistant.from_settings(Settings()).ask``), so settings come from ``ASSISTANT_*``
variables. Problems the user can fix (a malformed question file, a missing index) print
one ``error:`` line and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.errors import UserError, exit_code_of
from eval.metrics import compute_metrics, index_lines
from eval.qafile import load_answers, load_questions
from eval.report import describe_modes, metrics_table, render_compare, write_report

DEFAULT_QA = Path(__file__).resolve().parent / "questions.jsonl"


def run_parser() -> argparse.ArgumentParser:
    """Arguments of the default command: answer every question of a file."""
    parser = argparse.ArgumentParser(
        prog="python -m eval",
        description="Ask every question of a question file and score the answers. "
        "Other commands: `python -m eval compare A.jsonl B.jsonl`, "
        "`python -m eval report ANSWERS.jsonl`, "
        "`python -m eval suite --out DIR` (main and held-out sets side by side).",
    )
    parser.add_argument("--qa", type=Path, required=True, help="question file (JSON Lines)")
    parser.add_argument("--answers", type=Path, required=True, help="answers file to write")
    parser.add_argument("--report", type=Path, help="folder for report.md, metrics.json, charts")
    parser.add_argument(
        "--judge", action="store_true", help="also score answers with the configured LLM (1-5)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="answer over the articles of this folder (e.g. eval/heldout/articles) instead of "
        "ASSISTANT_DATA_DIR; they are indexed (incrementally) into their own store",
    )
    parser.add_argument(
        "--store-dir",
        type=Path,
        help="index folder for --data-dir (default: a folder of its own under ASSISTANT_STORE_DIR)",
    )
    return parser


def compare_parser() -> argparse.ArgumentParser:
    """Arguments of ``compare``: two answers files of the same question set."""
    parser = argparse.ArgumentParser(
        prog="python -m eval compare", description="Compare two answers files side by side."
    )
    parser.add_argument("a", type=Path, help="answers file A (the baseline), or a suite folder")
    parser.add_argument("b", type=Path, help="answers file B, or a suite folder")
    parser.add_argument(
        "--qa", type=Path, default=DEFAULT_QA, help="question file (ignored for suite folders)"
    )
    parser.add_argument("--report", type=Path, help="folder to write compare.md into")
    return parser


def suite_parser() -> argparse.ArgumentParser:
    """Arguments of ``suite``: the main set and the held-out sets into one report."""
    parser = argparse.ArgumentParser(
        prog="python -m eval suite",
        description="Run the main question set and each held-out set over their own article "
        "folders; write each set's answers and report, and suite.md with a column per set "
        "and language.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for answers and reports")
    parser.add_argument(
        "--sets",
        help="comma-separated sets to run (default: main,heldout,calibration,heldout2,heldout3,"
        "heldout4,heldout5,heldout6; while developing, leave out the sealed heldout6)",
    )
    parser.add_argument(
        "--store-dir",
        type=Path,
        help="index root: each set is indexed into ROOT/<set> (default: folders of their own "
        "under ASSISTANT_STORE_DIR)",
    )
    parser.add_argument(
        "--judge", action="store_true", help="also score answers with the configured LLM (1-5)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser


def report_parser() -> argparse.ArgumentParser:
    """Arguments of ``report``: score an existing answers file again."""
    parser = argparse.ArgumentParser(
        prog="python -m eval report", description="Score an existing answers file."
    )
    parser.add_argument("answers", type=Path, help="answers file written by a run")
    parser.add_argument("--qa", type=Path, default=DEFAULT_QA, help="question file")
    parser.add_argument("--report", type=Path, help="folder for report.md, metrics.json, charts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 user error, 130 interrupted)."""
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "compare": (compare_parser, compare_command),
        "report": (report_parser, report_command),
        "suite": (suite_parser, suite_command),
    }
    if args and args[0] in commands:
        make_parser, command = commands[args[0]]
        return exit_code_of(lambda: command(make_parser().parse_args(args[1:])))
    return exit_code_of(lambda: run_command(run_parser().parse_args(args)))


def run_command(args: argparse.Namespace) -> int:
    """Answer the questions, write the answers file, print a summary, optionally a report."""
    questions = load_questions(args.qa)  # fail on a bad file before loading any model
    if args.data_dir is None:
        assistant, settings = _open_assistant()
    else:
        assistant, settings = _open_on_folder(args.data_dir, args.store_dir)
    metrics = _answer_questions(assistant, settings, questions, args.answers, args)
    _finish(metrics, args.report, f"answers written to {args.answers}")
    return 0


def suite_command(args: argparse.Namespace) -> int:
    """Run each chosen set over its own articles; write its answers and report, then suite.md."""
    from eval.suite import SUITE_REPORT, answers_path, render_suite, select_sets

    sets = select_sets(args.sets)
    planned = [(s, load_questions(s.qa)) for s in sets]  # every file checked before any model
    results: dict[str, dict[str, Any]] = {}
    for eval_set, questions in planned:
        print(f"{eval_set.name}: {len(questions)} questions over {eval_set.articles}", flush=True)
        store = args.store_dir / eval_set.name if args.store_dir else None
        assistant, settings = _open_on_folder(eval_set.articles, store)
        answers = answers_path(args.out, eval_set.name)
        results[eval_set.name] = _answer_questions(assistant, settings, questions, answers, args)
        write_report(
            results[eval_set.name], args.out / eval_set.name, f"Q&A evaluation: {eval_set.name}"
        )
    text = render_suite(results, sets)
    (args.out / SUITE_REPORT).write_text(text, encoding="utf-8")
    print(text, end="")
    print(f"suite report written to {args.out / SUITE_REPORT}")
    return 0


def _answer_questions(
    assistant: Any, settings: Any, questions: list[Any], answers: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Ask every question (judged when ``--judge``), write the answers file, return metrics."""
    from eval.runner import run_questions

    judge = None
    if args.judge:
        from eval.judge import make_judge

        judge = make_judge(settings)
    answers.parent.mkdir(parents=True, exist_ok=True)
    lines = run_questions(
        assistant.ask,
        questions,
        answers,
        progress=not args.no_progress,
        mode=assistant.mode.to_dict(),
        judge=judge,
    )
    return compute_metrics(questions, index_lines(lines))


def report_command(args: argparse.Namespace) -> int:
    """Score an answers file that a run wrote earlier."""
    questions = load_questions(args.qa)
    metrics = compute_metrics(questions, load_answers(args.answers))
    _finish(metrics, args.report, f"scored {args.answers}")
    return 0


def compare_command(args: argparse.Namespace) -> int:
    """Print the comparison of two answers files (or two suite folders, set by set); write
    compare.md when asked."""
    from eval.suite import answers_path, is_suite_folder, shared_sets

    if is_suite_folder(args.a) and is_suite_folder(args.b):
        pairs = [
            (s.name, s.qa, answers_path(args.a, s.name), answers_path(args.b, s.name))
            for s in shared_sets(args.a, args.b)
        ]
    else:
        pairs = [(None, args.qa, args.a, args.b)]
    texts = []
    for name, qa, file_a, file_b in pairs:
        questions = load_questions(qa)
        a = compute_metrics(questions, load_answers(file_a))
        b = compute_metrics(questions, load_answers(file_b))
        title = f"Comparison: {name}" if name else "Comparison"
        texts.append(render_compare(a, b, str(file_a), str(file_b), title, name is not None))
    text = "\n".join(texts)
    if args.report:
        args.report.mkdir(parents=True, exist_ok=True)
        (args.report / "compare.md").write_text(text, encoding="utf-8")
    print(text, end="")
    return 0


def _open_assistant() -> tuple[Any, Any]:
    """The assistant the UI uses, built from ``ASSISTANT_*`` settings (imported lazily)."""
    from assistant.service import Assistant

    settings = _settings()
    return Assistant.from_settings(settings), settings


def _settings() -> Any:
    """``Settings()`` from the ``ASSISTANT_*`` variables, or a UserError saying which is wrong."""
    from pydantic import ValidationError

    from assistant.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        raise UserError(f"invalid ASSISTANT_* setting: {exc}") from None


def _open_on_folder(data_dir: Path, store_dir: Path | None) -> tuple[Any, Any]:
    """The assistant over another article folder (such as the held-out set), ingested
    incrementally into ``store_dir`` (default: a folder of its own under the configured
    store, and a collection of its own on a Chroma server), so the main index is never
    touched and articles edited since the last run are indexed again."""
    from assistant.service import Assistant

    if not data_dir.is_dir():
        raise UserError(f"--data-dir {data_dir}: not a folder")
    settings = _settings()
    key = _folder_key(data_dir)
    update = {
        "data_dir": data_dir,
        "store_dir": store_dir or settings.store_dir / f"eval-{key}",
        "collection": f"{settings.collection}-eval-{key[-8:]}",
    }
    settings = settings.model_copy(update=update)
    assistant = Assistant.from_settings(settings)
    assistant.reindex()
    return assistant, settings


def _folder_key(folder: Path) -> str:
    """A short stable name for a folder: its last part and a hash of its full path."""
    import hashlib

    resolved = str(folder.resolve())
    return f"{folder.resolve().name}-{hashlib.sha1(resolved.encode()).hexdigest()[:8]}"


def _finish(metrics: dict[str, Any], report_dir: Path | None, first_line: str) -> None:
    """Write the report folder when one was given, then print the mode and overall table.

    Files come first so that a closed stdout (``| head``) cannot lose the report.
    """
    paths = write_report(metrics, report_dir) if report_dir is not None else []
    print(first_line)
    print(f"mode: {describe_modes(metrics['modes'])}")
    print(metrics_table({"overall": metrics["overall"]}))
    if paths:
        print(f"report written to {paths[0]}")
