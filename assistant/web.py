"""The Gradio web page: bilingual chat, clickable citations, source viewer, summaries, library.

The page is a thin adapter over :class:`assistant.service.Assistant`. Each event handler
is a plain method of :class:`WebHandlers` (generators for streaming) that takes and
returns plain values, so tests call them without a browser; :func:`build_app` only wires
them to components. All HTML comes from :mod:`assistant.web_render` (always escaped).

Citation clicks: answers carry links ``#cite=<source>:<start>:<end>``; ``static/web.js``
catches the click and writes ``source|start|end|nonce`` into a hidden textbox, whose
``change`` event renders the viewer server-side from the *indexed* article only. With an
LLM, each Arabic quote's card also has ``#translate=<source>:<start>:<end>``, caught the
same way into a second hidden textbox: the viewer then shows the labelled machine
translation above the article with the quote highlighted.

Per-session data (the conversation) lives in ``gr.State``; the ``Assistant`` is shared.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import UserError
from assistant.ingest import IngestReport
from assistant.models import Answer, Article
from assistant.service import Assistant, History
from assistant.settings import Settings
from assistant.web_progress import StepCallback, live
from assistant.web_render import (
    VIEWER_PLACEHOLDER,
    Position,
    paragraph_position,
    render_answer,
    render_error,
    render_info,
    render_library,
    render_mode,
    render_question,
    render_source,
    render_streaming,
    render_translation,
    render_viewer_error,
)
from assistant.web_timeline import render_timeline

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
FONTS = ["Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans", "sans-serif"]
MONO_FONTS = ["DejaVu Sans Mono", "Liberation Mono", "monospace"]
EXAMPLES = [
    "What did Wang Yi say about Ukraine?",
    "ماذا قال لافروف عن أمن أوراسيا؟",
    "لخص المقال عن المكالمة الهاتفية",
    "Where did Lavrov meet Wang Yi in 2022?",
]
EMPTY_QUESTION = (
    "Type a question first, in Arabic or English. · اكتب سؤالاً أولاً بالعربية أو بالإنجليزية."
)
INTERNAL_ERROR = (
    "Something went wrong on the server ({kind}); the details are in the server log."
    " · حدث خطأ في الخادم."
)
SUMMARY_LANGUAGES = {"ar": "العربية", "en": "English"}
SUMMARY_LANGUAGE_NEEDS_LLM = (
    "Offline, a summary quotes the Arabic articles word for word, so there is no summary"
    " language to choose: a summary written in English or Arabic needs a language model"
    " (set ASSISTANT_LLM_PROVIDER). · الملخص المكتوب بلغة مختارة يحتاج إلى نموذج لغوي."
)
TRANSLATE_MAX_CHARS = 2000  # a cited quote is a sentence or two; refuse to send whole articles
SCROLL_TO_MARK_JS = "() => { window.newsAssistant && window.newsAssistant.revealCited(); }"
REVEAL_QUESTION_JS = (
    "() => { window.newsAssistant && window.newsAssistant.revealLatestQuestion(); }"
)
STREAM_INTERVAL_S = 0.05
CHOOSE_FILES = "Choose one or more .txt articles to upload."
ChatMessages = list[dict[str, str]]


@dataclass(frozen=True)
class Turn:
    """One exchange of a session: the question and its answer, error, or partial text."""

    question: str
    answer: Answer | None = None
    error: str | None = None
    partial: str = ""
    positions: tuple[Position | None, ...] = ()


def chat_messages(turns: list[Turn], translatable: bool = False) -> ChatMessages:
    """The Chatbot's ``[{"role", "content"}]`` list, every content escaped HTML; with
    ``translatable`` (an LLM is configured) each Arabic quote offers a translation."""
    messages: ChatMessages = []
    for turn in turns:
        messages.append({"role": "user", "content": render_question(turn.question)})
        if turn.error is not None:
            content = render_error(turn.error)
        elif turn.answer is not None:
            content = render_answer(turn.answer, turn.positions, translatable)
        else:
            content = render_streaming(turn.partial)
        messages.append({"role": "assistant", "content": content})
    return messages


def assistant_history(turns: list[Turn]) -> History:
    """(question, answer text) pairs of the answered turns, for follow-up questions."""
    return [(t.question, t.answer.text) for t in turns if t.answer is not None]


def parse_cite_request(request: str | None) -> tuple[str, int | None, int | None] | None:
    """``"source|start|end|nonce"`` from the page script → (source, start, end), or None.

    >>> parse_cite_request("a|b.txt|3|9|171"), parse_cite_request("b.txt|||5")
    (('a|b.txt', 3, 9), ('b.txt', None, None))
    """
    parts = (request or "").rsplit("|", 3)
    if len(parts) != 4 or not parts[0]:
        return None
    source, start, end, _nonce = parts
    if start.isdigit() and end.isdigit():
        return source, int(start), int(end)
    return source, None, None


def uploaded_paths(files: Any) -> list[Path]:
    """Paths of what ``gr.File`` delivered: path strings (Gradio 6), or file objects with
    ``.path`` (FileData) or ``.name`` (a temp file), one or a list."""
    if not files:
        return []
    items = files if isinstance(files, list | tuple) else [files]
    paths = []
    for item in items:
        if isinstance(item, str | os.PathLike):
            paths.append(Path(item))
        else:
            paths.append(Path(getattr(item, "path", None) or getattr(item, "name", "")))
    return paths


def _shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _failure(exc: BaseException) -> str:
    """An unexpected failure of long work as a message for the page (logged in full)."""
    return render_error(_internal_error(exc))


def _internal_error(exc: BaseException) -> str:
    """Log an unexpected exception with its traceback; a short message for the page."""
    log.exception("web handler failed")
    return INTERNAL_ERROR.format(kind=type(exc).__name__)


def report_html(report: IngestReport, refused: list[str]) -> str:
    """The outcome of an upload or re-index: what was added, what was refused and why."""
    lines = [f'<p class="ingest-summary">{report.summary()}</p>']
    for label, names in (
        ("Added", report.added),
        ("Updated", report.updated),
        ("Removed", report.removed),
    ):
        if names:
            isolated = ", ".join(f'<span class="fname" dir="ltr">{escape(n)}</span>' for n in names)
            lines.append(f'<div class="info-msg" dir="ltr">{label}: {isolated}</div>')
    lines.extend(render_error(message) for message in [*refused, *report.skipped])
    lines.extend(render_info(note) for note in report.notes)
    return f'<div class="ingest-report">{"".join(lines)}</div>'


class WebHandlers:
    """The page's event handlers as plain methods over one shared :class:`Assistant`."""

    def __init__(self, assistant: Assistant) -> None:
        """Handlers over ``assistant``, shared by every session (it is safe for reads)."""
        self.assistant = assistant

    def respond(
        self, message: str | None, turns: list[Turn] | None
    ) -> Iterator[tuple[ChatMessages, list[Turn], str, str]]:
        """Stream the answer to ``message``: yields (chat messages, turns, input box, status).

        ``turns`` is this session's conversation (``gr.State``). Every update carries a
        new list of immutable turns, so neither sessions nor earlier updates share state.
        An empty question only sets the status line.
        """
        done = list(turns or [])
        translatable = self.assistant.can_translate
        if not (message or "").strip():
            yield (
                chat_messages(done, translatable),
                done,
                message or "",
                render_error(EMPTY_QUESTION),
            )
            return
        for turn in self._answer(Turn(question=message or ""), assistant_history(done)):
            current = [*done, turn]
            yield chat_messages(current, translatable), current, "", ""

    def _answer(self, turn: Turn, history: History) -> Iterator[Turn]:
        """``turn`` as it grows: unanswered, with streamed text (at most one update per
        ``STREAM_INTERVAL_S``, so a long conversation is not re-rendered per token), then
        answered or failed with a message. Never raises."""
        yield turn
        last_update = 0.0
        try:
            for event in self.assistant.ask_stream(turn.question, history):
                if isinstance(event, Answer):
                    turn = replace(turn, answer=event, positions=self.positions(event))
                    continue
                turn = replace(turn, partial=turn.partial + event)
                if time.monotonic() - last_update >= STREAM_INTERVAL_S:
                    last_update = time.monotonic()
                    yield turn
        except UserError as exc:
            turn = replace(turn, error=str(exc))
        except Exception as exc:  # the page must show a message, never hang
            turn = replace(turn, error=_internal_error(exc))
        if turn.answer is None and turn.error is None:
            turn = replace(turn, error=INTERNAL_ERROR.format(kind="no answer"))
        yield turn

    def clear(self) -> tuple[ChatMessages, list[Turn], str, str, str]:
        """A fresh conversation: empty chat, history, input, status and viewer."""
        return [], [], "", "", VIEWER_PLACEHOLDER

    def positions(self, answer: Answer) -> tuple[Position | None, ...]:
        """Where each citation sits in its article ("paragraph k of n"), None if unknown."""
        articles: dict[str, Any] = {}
        found = []
        for citation in answer.citations:
            if citation.source not in articles:
                try:
                    articles[citation.source] = self.assistant.article(citation.source)
                except (UserError, OSError):
                    articles[citation.source] = None
            article = articles[citation.source]
            found.append(paragraph_position(article, citation.start) if article else None)
        return tuple(found)

    def _indexed_article(self, source: str) -> Article | str:
        """The *indexed* article ``source``, or the viewer's refusal HTML for any other name."""
        try:
            return self.assistant.article(str(source))
        except UserError as exc:
            return render_viewer_error(str(exc))
        except Exception as exc:
            return render_viewer_error(_internal_error(exc))

    def show_source(self, source: str, start: int | None = None, end: int | None = None) -> str:
        """The viewer HTML for an *indexed* article, ``[start:end]`` highlighted.

        Any other name (``../../etc/passwd``, a deleted file) gives a refusal, not a file.
        """
        article = self._indexed_article(source)
        if isinstance(article, str):
            return article
        if start is not None and end is not None and not 0 <= start < end <= len(article.original):
            bad = render_error(
                f"The cited range {start}–{end} is outside {article.source}; showing the whole article."
            )
            return bad + render_source(article)
        return render_source(article, start, end)

    def open_citation(self, request: str | None) -> str:
        """Handle the hidden textbox the page script fills when a citation is clicked."""
        parsed = parse_cite_request(request)
        if parsed is None:
            return VIEWER_PLACEHOLDER
        return self.show_source(*parsed)

    def summarise(
        self, sources: list[str] | None, topic: str | None, language: str | None = None
    ) -> str:
        """A cited summary of the chosen articles (all when none), optionally on ``topic``,
        written in ``language`` (offered only with an LLM; see ``summary_languages``)."""
        topic = (topic or "").strip() or None
        try:
            answer = self.assistant.summarize(
                list(sources or []) or None, topic, language=language or None
            )
        except UserError as exc:
            return render_error(str(exc))
        except Exception as exc:
            return render_error(_internal_error(exc))
        html = render_answer(answer, self.positions(answer), self.assistant.can_translate)
        return f'<div class="summary-result">{html}</div>'

    def summarise_live(
        self, sources: list[str] | None, topic: str | None, language: str | None = None
    ) -> Iterator[tuple[str]]:
        """:meth:`summarise` with its progress (elapsed time) shown in the page meanwhile."""
        count = len(sources or [])
        label = f"Summarising {count} article(s)" if count else "Summarising all articles"
        work = lambda _step: self.summarise(sources, topic, language)  # noqa: E731
        yield from live(work, label, lambda html: (html,), 1, _failure)

    def translate(self, source: str, start: int, end: int) -> str:
        """The viewer for the quote ``source[start:end]`` of an *indexed* article: its
        labelled machine translation (or why there is none) above the article, the quote
        highlighted. The quote is read from the article, never taken from the page."""
        article = self._indexed_article(source)
        if isinstance(article, str):
            return article
        if not 0 <= start < end <= len(article.original):
            return render_viewer_error(
                f"The cited range {start}–{end} is outside {article.source}."
            )
        if end - start > TRANSLATE_MAX_CHARS:
            return render_viewer_error(
                f"That passage is {end - start:,} characters long; only quotes up to"
                f" {TRANSLATE_MAX_CHARS:,} characters are translated."
            )
        try:
            above = render_translation(self.assistant.translate(article.original[start:end]))
        except UserError as exc:  # no LLM, the LLM server down or timing out
            above = render_error(f"No translation: {exc}")
        except Exception as exc:
            above = render_error(_internal_error(exc))
        return render_source(article, start, end, above=above)

    def translate_live(self, request: str | None) -> Iterator[tuple[str]]:
        """Handle the hidden textbox the page script fills when "Translate" is clicked:
        a progress line in the viewer while the model works, then :meth:`translate`."""
        parsed = parse_cite_request(request)
        if parsed is None or parsed[1] is None or parsed[2] is None:
            yield (VIEWER_PLACEHOLDER,)
            return
        source, start, end = parsed
        work = lambda _step: self.translate(source, start, end)  # noqa: E731
        failed = lambda exc: render_viewer_error(_internal_error(exc))  # noqa: E731
        yield from live(work, "Translating the quote into English", lambda html: (html,), 1, failed)

    def library(self) -> str:
        """The timeline of the indexed articles by date, then their table."""
        rows = self.assistant.articles()
        return render_timeline(rows) + render_library(rows)

    def article_choices(self) -> list[tuple[str, str]]:
        """(label, source) pairs for the summaries picker: "file · title", the title
        bidi-isolated (U+2068…U+2069) so an Arabic title cannot scramble the file name."""
        rows = self.assistant.articles()
        return [
            (f"{r['source']} · \u2068{_shorten(str(r['title']), 70)}\u2069", str(r["source"]))
            for r in rows
        ]

    def picker(self) -> Any:
        """An update refreshing the summaries picker's choices (others may have uploaded)."""
        return gr.update(choices=self.article_choices())

    def banner(self) -> str:
        """The mode banner: active embedder and LLM, how to enable others."""
        status = self.assistant.status()
        return render_mode(
            self.assistant.mode,
            status["articles"],
            status["chunks"],
            status.get("embedder_fallback"),
        )

    def page(self) -> tuple[str, str, Any]:
        """Fresh banner, library and article picker for each page load."""
        return self.banner(), self.library(), self.picker()

    def _after_ingest(self, outcome: str) -> tuple[str, str, Any, str]:
        """Outputs after an upload or re-index: report, library, picker, banner."""
        return outcome, self.library(), self.picker(), self.banner()

    def _upload_outcome(self, paths: list[Path], step: StepCallback | None) -> str:
        """Copy ``paths`` into the library and index them; the report HTML, never raises."""
        try:
            report, refused = self.assistant.add_files(paths, progress=step)
            return report_html(report, refused)
        except UserError as exc:
            return render_error(str(exc))
        except OSError as exc:  # e.g. the articles folder is read-only or the disk is full
            return render_error(
                f"Cannot copy the files into the articles folder: {exc.strerror or exc}"
            )
        except Exception as exc:
            return render_error(_internal_error(exc))

    def upload(
        self, files: Any, step: StepCallback | None = None
    ) -> tuple[str, str, Any, str, None]:
        """Copy uploaded ``.txt`` articles into the library and index them incrementally.

        Returns (report HTML, library, picker update, banner, cleared upload value).
        Refused files get a message each; the rest of the library is untouched.
        """
        paths = uploaded_paths(files)
        outcome = self._upload_outcome(paths, step) if paths else render_info(CHOOSE_FILES)
        return (*self._after_ingest(outcome), None)

    def upload_live(self, files: Any) -> Iterator[tuple[str, Any, Any, Any, Any]]:
        """:meth:`upload` with "Indexing 2/5 files · name" and a bar shown in the page."""
        paths = uploaded_paths(files)
        if not paths:
            yield self.upload(None)
            return
        label = f"Indexing {len(paths)} uploaded file(s):"
        finish = lambda html: (*self._after_ingest(html), None)  # noqa: E731
        yield from live(lambda step: self._upload_outcome(paths, step), label, finish, 5, _failure)

    def _reindex_outcome(self, step: StepCallback | None) -> str:
        """Re-scan the articles folder and update the index; the report HTML, never raises."""
        try:
            return report_html(self.assistant.reindex(progress=step), [])
        except UserError as exc:
            return render_error(str(exc))
        except Exception as exc:
            return render_error(_internal_error(exc))

    def reindex(self, step: StepCallback | None = None) -> tuple[str, str, Any, str]:
        """Re-scan the articles folder (added, changed, deleted files) and update the index."""
        return self._after_ingest(self._reindex_outcome(step))

    def reindex_live(self) -> Iterator[tuple[str, Any, Any, Any]]:
        """:meth:`reindex` with its progress shown in the page."""
        yield from live(
            self._reindex_outcome,
            "Re-indexing the articles folder:",
            self._after_ingest,
            4,
            _failure,
        )


HEADER_HTML = (
    '<div class="app-header"><h1><span class="app-name" lang="en">Arabic News Assistant</span>'
    '<span class="app-sep" aria-hidden="true"> · </span>'
    '<span class="app-name ar" dir="rtl" lang="ar">مساعد الأخبار العربية</span></h1>'
    "<p>Ask in Arabic or English; every answer cites the articles it quotes. "
    '<span dir="rtl" lang="ar">اسأل بالعربية أو بالإنجليزية؛ كل إجابة تستشهد بالمقالات.</span></p></div>'
)
LIBRARY_HELP = (
    "Uploaded files are copied into the articles folder and indexed incrementally; a file that "
    "cannot be read is refused with a reason and nothing else changes. Click a title or a bar "
    "of the timeline to read the article."
)
CHAT_PLACEHOLDER = (
    '<div class="chat-placeholder"><p><b>Ask a question about the articles</b></p>'
    '<p dir="rtl"><b>اطرح سؤالاً عن المقالات</b></p>'
    "<p>Answers cite their sources as [1], [2] … — click one to read it in its article.</p></div>"
)


def _chatbot() -> gr.Chatbot:
    """The conversation: our escaped HTML messages, sanitised again by Gradio, no LaTeX.

    The examples live inside the empty chat (they come back with a new conversation),
    so on a phone nothing stands between the chat and the source viewer below it.
    """
    return gr.Chatbot(
        value=[],
        elem_id="chat",
        height="60vh",
        min_height=360,
        show_label=False,
        placeholder=CHAT_PLACEHOLDER,
        examples=[{"text": example} for example in EXAMPLES],
        latex_delimiters=[],
        buttons=[],
        sanitize_html=True,
        layout="bubble",
    )


def example_text(selection: gr.SelectData) -> str:
    """The question of the example the reader clicked in the empty chat."""
    value = selection.value
    return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")


def _chat_tab(handlers: WebHandlers, turns: gr.State) -> dict[str, Any]:
    """The chat: conversation (with examples), question box, clear button; returns its parts."""
    chatbot = _chatbot()
    with gr.Row(equal_height=True, elem_id="ask-row"):
        question = gr.Textbox(
            show_label=False,
            placeholder="Ask in Arabic or English… · اسأل بالعربية أو بالإنجليزية…",
            lines=1,
            max_lines=6,
            scale=6,
            min_width=160,
            elem_id="question",
            elem_classes=["auto-dir"],
            autofocus=True,
        )
        ask = gr.Button("Ask · اسأل", variant="primary", scale=1, min_width=80, elem_id="ask")
    with gr.Row(equal_height=True, elem_id="status-row"):
        status = gr.HTML("", elem_id="chat-status")
        clear = gr.Button(
            "New conversation · محادثة جديدة",
            size="sm",
            variant="secondary",
            elem_id="clear",
            scale=0,
            min_width=200,
        )
    ask_args = {
        "fn": handlers.respond,
        "inputs": [question, turns],
        "outputs": [chatbot, turns, question, status],
        "show_progress": "minimal",
    }
    for event, name in ((question.submit, "ask"), (ask.click, False)):
        event(**ask_args, api_name=name).then(None, None, None, js=REVEAL_QUESTION_JS)
    chatbot.example_select(example_text, None, question, api_name=False).then(
        **ask_args, api_name=False
    ).then(None, None, None, js=REVEAL_QUESTION_JS)
    return {"chatbot": chatbot, "question": question, "status": status, "clear": clear}


def _summary_language(handlers: WebHandlers) -> list[gr.Radio]:
    """The "Summary language" choice, offered only when a summary can be *written* in a
    language (an LLM is configured): ``[radio]``. Offline it would change nothing but the
    heading, so the page says instead what a written summary needs: ``[]``."""
    languages = handlers.assistant.summary_languages()
    if not languages:
        gr.HTML(render_info(SUMMARY_LANGUAGE_NEEDS_LLM), elem_id="summary-language-note")
        return []
    radio = gr.Radio(
        [(SUMMARY_LANGUAGES.get(code, code), code) for code in languages],
        value=languages[0],
        label="Summary language · لغة الملخص",
        min_width=160,
        elem_id="summary-language",
    )
    return [radio]


def _summaries_tab(handlers: WebHandlers) -> gr.Dropdown:
    """Pick articles and/or a topic, get a cited summary; returns the article picker."""
    gr.Markdown(
        "Summarise one or more articles (none chosen = all of them), optionally about a topic."
    )
    picked = gr.Dropdown(
        choices=handlers.article_choices(),
        multiselect=True,
        label="Articles · المقالات (leave empty for all)",
        elem_id="summary-articles",
    )
    with gr.Row():
        topic = gr.Textbox(
            label="Topic (optional) · الموضوع",
            scale=3,
            min_width=160,
            elem_id="summary-topic",
            elem_classes=["auto-dir"],
        )
    language = _summary_language(handlers)
    run = gr.Button("Summarise · لخّص", variant="primary", elem_id="summarise")
    result = gr.HTML("", elem_id="summary-result")
    for event, name in ((run.click, "summarise"), (topic.submit, False)):
        event(
            handlers.summarise_live,
            [picked, topic, *language],
            result,
            show_progress="hidden",  # the result box shows our own progress line
            api_name=name,
        )
    return picked


def _library_tab(handlers: WebHandlers) -> dict[str, Any]:
    """The upload and re-index buttons, the report, then the timeline and the table.

    An ``UploadButton``, not a ``File`` drop zone: the latter's upload-progress stream
    logs "Method not implemented." twice per upload in the browser console (Gradio's
    fetch-based EventSource has no ``close``), and indexing progress is shown in the
    report anyway.
    """
    with gr.Row(equal_height=True, elem_id="library-actions"):
        files = gr.UploadButton(
            "Add .txt articles · أضف مقالات",
            file_count="multiple",
            file_types=[".txt"],
            variant="primary",
            size="sm",
            elem_id="upload",
            min_width=200,
        )
        reindex = gr.Button(
            "Re-index the articles folder · إعادة الفهرسة",
            size="sm",
            elem_id="reindex",
            min_width=200,
        )
    gr.Markdown(LIBRARY_HELP, elem_classes=["library-help"])
    report = gr.HTML("", elem_id="ingest-report")
    library = gr.HTML(handlers.library(), elem_id="library")
    return {"library": library, "files": files, "report": report, "reindex": reindex}


def _wire_library(
    handlers: WebHandlers, lib: dict[str, Any], picked: gr.Dropdown, banner: gr.HTML
) -> None:
    """Upload and re-index events; both are serialised (one index writer at a time) and
    show their progress in the report box (not a spinner over the page)."""
    outputs = [lib["report"], lib["library"], picked, banner]
    write = {"concurrency_limit": 1, "concurrency_id": "index-writer", "show_progress": "hidden"}
    lib["files"].upload(
        handlers.upload_live, lib["files"], [*outputs, lib["files"]], api_name="upload", **write
    )
    lib["reindex"].click(handlers.reindex_live, None, outputs, api_name="reindex", **write)


def build_app(assistant: Assistant) -> gr.Blocks:
    """The whole page over ``assistant``; launch it with :func:`launch_options`."""
    handlers = WebHandlers(assistant)
    with gr.Blocks(
        title="Arabic News Assistant · مساعد الأخبار", analytics_enabled=False, fill_width=True
    ) as demo:
        turns = gr.State([])
        gr.HTML(HEADER_HTML)
        banner = gr.HTML(handlers.banner(), elem_id="mode-banner")
        with gr.Row(equal_height=False, elem_id="main-row"):
            with (
                gr.Column(scale=3, min_width=320, elem_id="work-column"),
                gr.Tabs(elem_id="tabs", overflow_behavior="wrap"),
            ):
                with gr.Tab("Chat · المحادثة", id="chat-tab"):
                    chat = _chat_tab(handlers, turns)
                with gr.Tab("Summaries · الملخصات", id="summaries-tab") as summaries_tab:
                    picked = _summaries_tab(handlers)
                with gr.Tab("Library · المكتبة", id="library-tab") as library_tab:
                    lib = _library_tab(handlers)
            with gr.Column(scale=2, min_width=300, elem_id="viewer-column"):
                viewer = gr.HTML(VIEWER_PLACEHOLDER, elem_id="source-viewer")
        cite_request = gr.Textbox(visible="hidden", elem_id="cite-request")
        translate_request = gr.Textbox(visible="hidden", elem_id="translate-request")
        _wire_library(handlers, lib, picked, banner)
        _wire_page(handlers, chat, turns, viewer, cite_request)
        translate_request.change(
            handlers.translate_live,
            translate_request,
            viewer,
            show_progress="hidden",  # the viewer shows our own progress line
            api_name="translate",
        ).then(None, None, None, js=SCROLL_TO_MARK_JS)
        quiet = {"api_name": False, "show_progress": "hidden"}  # refreshes: no spinner over them
        library_tab.select(handlers.library, None, lib["library"], **quiet)
        summaries_tab.select(handlers.picker, None, picked, **quiet)
        demo.load(handlers.page, None, [banner, lib["library"], picked], **quiet)
    demo.queue(default_concurrency_limit=8)
    return demo


def _wire_page(
    handlers: WebHandlers,
    chat: dict[str, Any],
    turns: gr.State,
    viewer: gr.HTML,
    cite_request: gr.Textbox,
) -> None:
    """Clearing the conversation and opening a cited source in the viewer."""
    clear_outputs = [chat["chatbot"], turns, chat["question"], chat["status"], viewer]
    chat["clear"].click(handlers.clear, None, clear_outputs, api_name=False)
    chat["chatbot"].clear(handlers.clear, None, clear_outputs, api_name=False)  # its trash icon
    cite_request.change(
        handlers.open_citation, cite_request, viewer, show_progress="hidden", api_name="source"
    ).then(None, None, None, js=SCROLL_TO_MARK_JS)


def _static(name: str) -> str:
    """The text of ``assistant/static/<name>`` (the page's CSS and script)."""
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def page_theme() -> gr.themes.Base:
    """Local Noto fonts (Arabic first) so nothing is fetched from Google Fonts."""
    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate", font=FONTS, font_mono=MONO_FONTS)


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """``"user:password"`` → ``("user", "password")``; None when unset; UserError when malformed."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise UserError("ASSISTANT_AUTH must look like user:password")
    return user, password


def launch_options(settings: Settings) -> dict[str, Any]:
    """Safe ``launch()`` arguments: no share link, no SSR node server, local fonts, our
    CSS and script, optional password, uploads capped at the article size limit."""
    return {
        "share": False,
        "ssr_mode": False,
        "auth": parse_auth(settings.auth),
        "auth_message": "Arabic News Assistant · مساعد الأخبار",
        "theme": page_theme(),
        "css": _static("web.css"),
        "head": f"<script>{_static('web.js')}</script>",
        "max_file_size": int(settings.max_file_bytes),
        "show_error": False,
    }
