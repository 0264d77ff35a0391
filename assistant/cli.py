"""Command line: ``python -m assistant ingest|status|ask|summarize|chat|settings``.

User errors print one clean line on stderr (exit 2), never a traceback. ``--json``
output is the fixed public shape of :meth:`assistant.models.Answer.to_dict`.
Heavy libraries are imported only by the commands that need them, so a cold
``ask`` in offline mode does not import torch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from contextlib import closing
from pathlib import Path
from typing import Any

from assistant.cli_format import label_block, table, terminal_width
from assistant.errors import UserError, exit_code_of
from assistant.models import Answer
from assistant.notices import say_notices_once_per_store
from assistant.settings import Settings, configure_logging, settings_table

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


DESCRIPTION = (
    "Ask questions about the news articles of a folder, in Arabic or English, and get "
    "answers quoted from them, each quote naming its file; or summarise them."
)


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for every sub-command (help texts in plain words)."""
    parser = argparse.ArgumentParser(prog="python -m assistant", description=DESCRIPTION)
    sub = parser.add_subparsers(title="commands", dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("ingest", help="index the articles folder (only new, changed or deleted files)")
    p.add_argument("--data", type=Path, help="folder of .txt articles (default: ASSISTANT_DATA_DIR)")
    p.add_argument("--rebuild", action="store_true", help="drop this embedder's index and build it again")
    p.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS",
        help="if another ingest is running, wait up to SECONDS for it (default: stop at once)",
    )  # fmt: skip
    p = sub.add_parser("status", help="what is indexed, with which embedder, in which mode")
    p.add_argument("--json", action="store_true", help="print the status and the articles as JSON")
    p = sub.add_parser("ask", help="answer a question with quotes from the articles")
    p.add_argument("question", nargs="+", help="the question, in Arabic or English")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument(
        "--translate", action="store_true",
        help="add an English machine translation of each quote (needs a configured LLM)",
    )  # fmt: skip
    p = sub.add_parser("summarize", help="summarise articles or a topic, with quotes")
    p.add_argument("sources", nargs="*", help="article file names (default: all)")
    p.add_argument("--all", action="store_true", help="all indexed articles")
    p.add_argument("--topic", help="summarise what the articles say about this topic")
    p.add_argument(
        "--language", choices=["ar", "en"],
        help="write the summary in this language: needs a configured LLM (offline, a summary "
        "quotes the Arabic articles and only its intro follows the question's language)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    sub.add_parser("chat", help="ask questions one after another in the terminal (follow-ups keep context)")
    sub.add_parser("settings", help="print every setting, its variable and its default")
    from assistant.model_export import add_models_parser

    add_models_parser(sub)
    return parser


def format_answer(answer: Answer) -> str:
    """Readable answer: text, numbered citations with file, title and offsets, mode."""
    lines = [answer.text, ""]
    for n, c in enumerate(answer.citations, start=1):
        lines.append(f"[{n}] {c.source} ({c.title}{', ' + c.date if c.date else ''}) chars {c.start}-{c.end}")
    lines.extend(f"note: {note}" for note in answer.notes)
    lines.append(f"(mode: embedder {answer.mode.embedder}, llm {answer.mode.llm})")
    return "\n".join(lines)


class _ProgressBar:
    """A tqdm bar on stderr fed by ingest's ``progress(done, total, name)`` calls; closed
    when the work ends or fails, so an error line is the last thing printed."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def __call__(self, done: int, total: int, name: str) -> None:
        from assistant.sentence_vectors import STAGE

        if self.bar is None or (name == STAGE) != (self.bar.unit == "sentence"):
            from tqdm import tqdm

            self.close()  # files are done; the sentence-vector stage gets a bar of its own
            desc, unit = (STAGE, "sentence") if name == STAGE else (self.label, "file")
            self.bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
        self.bar.n = done
        self.bar.set_postfix_str(name[:30])
        self.bar.refresh()
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ingest import ingest

    with closing(_ProgressBar("ingest")) as progress:
        report = ingest(settings, data_dir=args.data, rebuild=args.rebuild, progress=progress, wait_s=args.wait)
    for message in report.skipped:  # "x.txt: skipped, it is …" → "skipped: x.txt: it is …"
        print(f"skipped: {message.replace(': skipped, ', ': ', 1)}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if report.repaired:
        print(f"repaired after an interrupted run: {', '.join(report.repaired)}", file=sys.stderr)
    print(report.summary())
    return 0


def _assistant(settings: Settings):  # type: ignore[no-untyped-def]
    from assistant.service import Assistant

    with closing(_ProgressBar("first ingest")) as progress:
        return Assistant.from_settings(settings, progress=progress)


STATUS_LABELS = {
    "articles": "Articles",
    "chunks": "Chunks",
    "collection": "Collection",
    "store": "Store",
    "tokens": "Token counter",
    "embedder_fallback": "Embedder fallback",
}


OFFLINE_LLM = "none (offline: quoted answers)"  # as the web page's banner says it


def _plain(value: object) -> str:
    """A status value in words: a mapping as ``key value, ...``, a list joined, else ``str``."""
    if isinstance(value, dict):
        return ", ".join(f"{key} {_plain(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value)
    return str(value)


def format_status(status: dict[str, Any], articles: list[dict[str, Any]], width: int) -> str:
    """``status`` as aligned label/value lines, then one table row per indexed article
    with its full title wrapped under the title column."""
    mode = status.get("mode") or {}
    llm = mode.get("llm", "?")
    rows = [("Embedder", mode.get("embedder", "?")), ("LLM", OFFLINE_LLM if llm == "none" else llm)]
    for key, value in status.items():
        if key not in ("mode", "other_embedders") and value not in (None, ""):
            rows.append((STATUS_LABELS.get(key, key.replace("_", " ").capitalize()), _plain(value)))
    if not articles:
        advice = nothing_indexed(mode, status.get("other_embedders"))
        return label_block(rows, width) + "\n\n" + textwrap.fill(advice, max(width, 40))
    table_rows = [
        [a["source"], a.get("date") or "-", a.get("language") or "-", a.get("chunks", 0), a.get("title") or "-"]
        for a in articles
    ]
    articles_table = table(["File", "Date", "Language", "Chunks", "Title"], table_rows, width, right=[3])
    return label_block(rows, width) + "\n\n" + articles_table


def nothing_indexed(mode: dict[str, str], others: dict[str, int] | None) -> str:
    """What to do about an empty index: ingest, or (when the store holds another embedder's
    index, which ``ask`` then refuses to use) which embedder built it and the two ways out."""
    if not others:
        return "No articles are indexed yet (run: python -m assistant ingest)."
    held = ", ".join(f"{count} passages by {embedder}" for embedder, count in sorted(others.items()))
    return (
        f"Nothing is indexed with {mode.get('embedder', 'this embedder')}, the embedder in use; "
        f"this store holds {held}. Run: python -m assistant ingest (indexes the articles with "
        "this embedder, the other index is kept), or set ASSISTANT_EMBEDDER to the one that built it."
    )


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import Assistant

    assistant = Assistant.from_settings(settings, auto_ingest=False)
    status, articles = assistant.status(), assistant.articles()
    if args.json:
        print(json.dumps({**status, "files": articles}, ensure_ascii=False, indent=2))
    else:
        print(format_status(status, articles, terminal_width()))
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import clean_question

    # Refuse an empty or over-long question before opening (or first building) the index.
    question = clean_question(" ".join(args.question), settings.max_question_chars)
    if args.translate and settings.llm_provider == "none":
        raise UserError("--translate needs a language model (set ASSISTANT_LLM_PROVIDER); offline, "
                        "each quote is introduced in English by its speaker and article.")  # fmt: skip
    assistant = _assistant(settings)
    answer = assistant.ask(question)
    translations = [assistant.translate(c.quote) for c in answer.citations] if args.translate else []
    if args.json:
        shape = answer.to_dict() | ({"translations": [t.to_dict() for t in translations]} if args.translate else {})
        print(json.dumps(shape, ensure_ascii=False, indent=2))
    else:
        print("\n".join([format_answer(answer), *format_translations(translations)]))
    return 0


def format_translations(translations: list) -> list[str]:  # type: ignore[type-arg]
    """One block per quote: ``[n] Machine translation …: text`` and what the check found."""
    lines = []
    for n, t in enumerate(translations, start=1):
        lines.append(f"[{n}] {t.label}: {t.text}")
        check = "names and numbers kept" if t.checked else "check the Arabic: lost " + ", ".join(t.missing)
        lines.append(f"    ({check})")
    return lines


def cmd_summarize(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import clean_topic

    if args.topic is not None:  # refuse an empty or over-long topic before opening the index
        args.topic = clean_topic(args.topic, settings.max_question_chars)
    sources = None if args.all or not args.sources else args.sources
    if args.language and settings.llm_provider == "none":
        raise UserError("--language needs a language model (set ASSISTANT_LLM_PROVIDER); offline, "
                        "summaries quote the Arabic articles.")  # fmt: skip
    answer = _assistant(settings).summarize(sources=sources, topic=args.topic, language=args.language)
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(answer))
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    assistant = _assistant(settings)
    mode = assistant.mode
    print(f"Ask in Arabic or English (empty line or Ctrl-D to quit). Embedder {mode.embedder}, LLM {mode.llm}.")
    history: list[tuple[str, str]] = []
    while True:
        try:
            question = input("\n? ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        try:
            answer = assistant.ask(question, history)
        except UserError as exc:
            print(f"error: {exc}")
            continue
        print(format_answer(answer))
        history.append((question, answer.text))


COMMANDS = {
    "ingest": cmd_ingest,
    "status": cmd_status,
    "ask": cmd_ask,
    "summarize": cmd_summarize,
    "chat": cmd_chat,
    "models": lambda args, settings: _models(args, settings),
}


def _models(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.model_export import cmd_models

    return cmd_models(args, settings)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for user errors, with a one-line message)."""
    args = build_parser().parse_args(argv)
    return exit_code_of(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    """Read the settings, say the notices once per store, and run the chosen command.

    An invalid setting (pydantic's ``ValidationError``, wherever settings are read) becomes
    a one-line :class:`UserError` naming the setting, not a traceback.
    """
    try:
        settings = Settings()
        configure_logging(settings.log_level)
        say_notices_once_per_store(settings.store_dir)
        if args.command == "settings":
            print(settings_table())
            return 0
        return COMMANDS[args.command](args, settings)
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError, without importing it
        if type(exc).__name__ == "ValidationError":
            raise UserError(f"invalid setting: {_setting_errors(exc)}") from exc
        raise


def _setting_errors(exc: Exception) -> str:
    """pydantic's multi-line report as one line: ``ASSISTANT_TOP_K='0': Input should be …``."""
    parts = []
    for error in exc.errors():  # type: ignore[attr-defined]
        variable = "ASSISTANT_" + "_".join(str(part) for part in error.get("loc", ())).upper()
        parts.append(f"{variable}={error.get('input')!r}: {error.get('msg')}")
    return "; ".join(parts)
