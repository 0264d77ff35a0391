"""HTML for the web page, built server-side from structured results and always escaped.

Every piece of article, question or answer text goes through :func:`html.escape` before
it is placed in markup, so an article containing ``<script>`` shows as text. Citations
become links ``#cite=<source>:<start>:<end>`` that the page's script (``static/web.js``)
turns into a request for the source viewer; the chat's HTML sanitiser keeps ``href``
and ``class`` but drops ``data-*`` attributes, hence the link form.

This module formats only: it never reads files or calls the assistant.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any
from urllib.parse import quote

from assistant.models import Answer, Article, Citation, Mode, Span

_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_FILE_NAME = re.compile(r"(?<![\w.-])([\w.-]+\.txt)(?![\w])")
QUOTE_PREVIEW_CHARS = 180


def cite_href(source: str, start: int | None = None, end: int | None = None) -> str:
    """The link that asks the page to open ``source`` (with ``[start:end]`` highlighted).

    >>> cite_href("001 a.txt", 3, 9), cite_href("b.txt")
    ('#cite=001%20a.txt:3:9', '#cite=b.txt::')
    """
    span = ":" if start is None or end is None else f"{start}:{end}"
    return f"#cite={quote(source, safe='')}:{span}"


def _marker_link(number: int, citations: tuple[Citation, ...]) -> str:
    """``[n]`` as a link to citation ``n`` (1-based), or plain text when there is none."""
    if not 1 <= number <= len(citations):
        return f"[{number}]"
    c = citations[number - 1]
    title = escape(f"{c.source} · {c.start}–{c.end}")
    return f'<a class="cite-marker" href="{cite_href(c.source, c.start, c.end)}" title="{title}">[{number}]</a>'


def render_inline(text: str, citations: tuple[Citation, ...] = ()) -> str:
    """One line of answer text: escaped, ``**bold**`` kept, ``[n]`` markers made links,
    file names isolated left-to-right (so ``004_86293efd.txt`` is not scrambled in Arabic).

    >>> render_inline("<b>x</b> **y** [1, 2]")
    '&lt;b&gt;x&lt;/b&gt; <strong>y</strong> [1][2]'
    """
    html = _BOLD.sub(r"<strong>\1</strong>", escape(text, quote=False))
    html = _FILE_NAME.sub(r'<span class="fname" dir="ltr">\1</span>', html)

    def links(match: re.Match[str]) -> str:
        """``[1, 2]`` → one link per number."""
        return "".join(_marker_link(int(n), citations) for n in match.group(1).split(","))

    return _MARKERS.sub(links, html)


def render_text(text: str, citations: tuple[Citation, ...] = ()) -> str:
    """Answer text as paragraphs and bullet lists, each block with its own ``dir="auto"``.

    Arabic lines then read right-to-left and English ones left-to-right in one answer.
    The result has no blank line, so the chat's Markdown pass leaves it alone.
    """
    blocks: list[str] = []
    items: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("- ", "* ", "• ")):
            items.append(f'<li dir="auto">{render_inline(stripped[2:], citations)}</li>')
            continue
        if items:
            blocks.append(f'<ul class="answer-list">{"".join(items)}</ul>')
            items = []
        if stripped:
            blocks.append(f'<p dir="auto">{render_inline(stripped, citations)}</p>')
    if items:
        blocks.append(f'<ul class="answer-list">{"".join(items)}</ul>')
    return "".join(blocks)


def _preview(quote_text: str, limit: int = QUOTE_PREVIEW_CHARS) -> str:
    """The quote, cut at a word boundary near ``limit`` characters with an ellipsis."""
    flat = " ".join(quote_text.split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit] + "…"


def render_citation(number: int, c: Citation) -> str:
    """One entry of the sources list: number, file, title, date, quote; all one link."""
    meta = [f'<span class="cite-file">{escape(c.source)}</span>']
    if c.title:
        meta.append(f'<span class="cite-title" dir="auto">{escape(c.title)}</span>')
    if c.date:
        meta.append(f'<span class="cite-date">{escape(c.date)}</span>')
    return (
        f'<li class="cite-item"><a class="cite" href="{cite_href(c.source, c.start, c.end)}">'
        f'<span class="cite-head"><span class="cite-num">[{number}]</span> {" · ".join(meta)}</span>'
        f'<span class="cite-quote" dir="auto">«{escape(_preview(c.quote))}»</span></a></li>'
    )


def render_citations(citations: tuple[Citation, ...]) -> str:
    """The "Sources" list under an answer (empty string when there are none)."""
    if not citations:
        return ""
    items = "".join(render_citation(n, c) for n, c in enumerate(citations, start=1))
    return (
        f'<details class="sources" open><summary>Sources · المصادر ({len(citations)})</summary>'
        f'<ul class="cite-list">{items}</ul></details>'
    )


def render_answer(answer: Answer) -> str:
    """A whole answer or summary: text with linked markers, notes, then the sources."""
    classes = "answer abstained" if answer.abstained else "answer"
    notes = "".join(f'<p class="note" dir="auto">{escape(n)}</p>' for n in answer.notes)
    return (
        f'<div class="{classes}" lang="{escape(answer.language)}">'
        f"{render_text(answer.text, answer.citations)}{notes}{render_citations(answer.citations)}</div>"
    )


def render_streaming(text: str) -> str:
    """Partial answer text while it streams (markers stay plain until citations are known)."""
    body = render_text(text) or '<p class="pending">…</p>'
    return f'<div class="answer streaming">{body}</div>'


def render_question(question: str) -> str:
    """The user's message, escaped, with its own direction."""
    lines = "<br>".join(escape(line, quote=False) for line in question.splitlines())
    return f'<div class="question" dir="auto">{lines}</div>'


def render_error(message: str) -> str:
    """A user-facing error or warning, escaped."""
    return f'<div class="error-msg" dir="auto" role="alert">{escape(message)}</div>'


def render_info(message: str) -> str:
    """A neutral status line, escaped."""
    return f'<div class="info-msg" dir="auto">{escape(message)}</div>'


def _runs(original: str, lo: int, hi: int, blocks: tuple[Span, ...]) -> str:
    """Escaped ``original[lo:hi]``; text outside the cleaned blocks is wrapped in a dimmed
    ``<span class="boiler">`` so the reader sees what indexing ignored (bylines, captions)."""
    cuts = sorted({lo, hi, *(p for b in blocks for p in (b.start, b.end) if lo < p < hi)})
    parts = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        text = escape(original[a:b], quote=False)
        kept = any(block.start <= a and b <= block.end for block in blocks)
        parts.append(text if kept or not blocks else f'<span class="boiler">{text}</span>')
    return "".join(parts)


def viewer_header(article: Article, span: tuple[int, int] | None, number: int | None) -> str:
    """Title, file name, date and the highlighted range of the source viewer."""
    meta = [escape(article.source)]
    if article.date:
        meta.append(escape(article.date))
    if span:
        label = f"[{number}] " if number else ""
        meta.append(f"{label}characters {span[0]:,}–{span[1]:,}")
    return (
        f'<div class="viewer-head"><div class="viewer-title" dir="auto">{escape(article.title)}</div>'
        f'<div class="viewer-meta">{" · ".join(meta)}</div></div>'
    )


def render_source(
    article: Article, start: int | None = None, end: int | None = None, number: int | None = None
) -> str:
    """The whole article, escaped, with ``original[start:end]`` wrapped in one ``<mark>``.

    Without a span (or with an invalid one) the article is shown with no highlight.
    """
    text, blocks = article.original, article.blocks
    valid = start is not None and end is not None and 0 <= start < end <= len(text)
    direction = "rtl" if article.language == "ar" else "auto"
    if valid:
        assert start is not None and end is not None
        body = (
            f"{_runs(text, 0, start, blocks)}"
            f'<mark class="cited" id="cited-span">{_runs(text, start, end, blocks)}</mark>'
            f"{_runs(text, end, len(text), blocks)}"
        )
    else:
        body = _runs(text, 0, len(text), blocks)
    head = viewer_header(article, (start, end) if valid else None, number)  # type: ignore[arg-type]
    return (
        f'<div class="viewer" data-source="{escape(article.source)}">{head}'
        f'<div class="viewer-body" dir="{direction}" lang="{escape(article.language)}">{body}</div></div>'
    )


VIEWER_PLACEHOLDER = (
    '<div class="viewer viewer-empty"><div class="viewer-head"><div class="viewer-title">'
    "Source viewer · عارض المصدر</div></div>"
    '<p dir="auto">Click a citation such as [1] in an answer, or an article in the library, '
    "to read the whole article here with the quoted passage highlighted.</p>"
    '<p dir="rtl">انقر على رقم استشهاد مثل [1] في الإجابة، أو على مقال في المكتبة، '
    "لقراءة المقال كاملاً مع تظليل المقطع المقتبس.</p></div>"
)


def render_viewer_error(message: str) -> str:
    """The viewer showing a refusal (unknown file, bad request) instead of an article."""
    return (
        '<div class="viewer viewer-empty"><div class="viewer-head"><div class="viewer-title">'
        f"Source viewer · عارض المصدر</div></div>{render_error(message)}</div>"
    )


def _library_row(row: dict[str, Any]) -> str:
    """One table row: the title links to the article in the viewer; everything escaped."""
    source = str(row["source"])
    title = escape(str(row["title"]) or source)
    status = escape(str(row["status"]))
    cells = [
        f'<td class="lib-title" dir="auto"><a class="cite" href="{cite_href(source)}">{title}</a></td>',
        f'<td class="lib-file" dir="ltr">{escape(source)}</td>',
        f'<td class="lib-date">{escape(str(row["date"] or "—"))}</td>',
        f"<td>{escape(str(row['language']))}</td>",
        f'<td class="num">{int(row["chars"]):,}</td>',
        f'<td class="num">{int(row["chunks"])}</td>',
        f'<td><span class="status status-{status}">{status}</span></td>',
    ]
    return f"<tr>{''.join(cells)}</tr>"


def render_library(rows: list[dict[str, Any]]) -> str:
    """The indexed articles as a table; each title opens the article in the viewer."""
    if not rows:
        return render_info("The library is empty: upload .txt articles above. · المكتبة فارغة.")
    headers = ("Title · العنوان", "File", "Date", "Lang", "Chars", "Chunks", "Status")
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join(_library_row(r) for r in rows)
    summary = f"{len(rows)} articles, {sum(int(r['chunks']) for r in rows)} passages indexed"
    return (
        f'<div class="library"><p class="lib-summary">{summary}</p>'
        f'<table class="lib-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    )


OFFLINE_HELP = (
    "Answers and summaries are sentences quoted word for word from the articles, "
    "with no language model. "
    "To rephrase and synthesise with an LLM, restart with "
    "<code>ASSISTANT_LLM_PROVIDER=openai|ollama|transformers</code>, "
    "<code>ASSISTANT_LLM_MODEL=&lt;model&gt;</code> and, for a server, "
    "<code>ASSISTANT_LLM_BASE_URL=&lt;url&gt;</code>."
)
OFFLINE_HELP_AR = "وضع دون نموذج لغوي: الإجابات والملخصات جمل مقتبسة حرفياً من المقالات."
HASHING_HELP = (
    "The embedder is the weight-free hashing one (retrieval is mostly lexical). "
    "For semantic search set <code>ASSISTANT_EMBEDDER=&lt;local folder or hub name&gt;</code> "
    "(a multilingual sentence-transformers model, e.g. intfloat/multilingual-e5-small)."
)


def render_mode(mode: Mode, articles: int, passages: int, fallback: str | None = None) -> str:
    """The banner saying which embedder and LLM are active, with how to change them."""
    offline = mode.llm == "none"
    llm = "none (offline: quoted answers)" if offline else mode.llm
    line = (
        f'<span class="mode-item"><b>Embedder</b> <code>{escape(mode.embedder)}</code></span>'
        f'<span class="mode-item"><b>LLM</b> <code>{escape(llm)}</code></span>'
        f'<span class="mode-item">{articles} articles · {passages} passages</span>'
    )
    help_parts = []
    if offline:
        help_parts.append(f'<p>{OFFLINE_HELP}</p><p dir="rtl">{OFFLINE_HELP_AR}</p>')
    if mode.embedder.startswith("hashing"):
        help_parts.append(f"<p>{HASHING_HELP}</p>")
    if fallback:
        help_parts.append(f"<p>Embedding model unavailable: {escape(fallback)}.</p>")
    details = (
        f"<details><summary>How answers are made</summary>{''.join(help_parts)}</details>"
        if help_parts
        else ""
    )
    state = "offline" if offline else "online"
    return (
        f'<div class="mode-banner mode-{state}"><div class="mode-line">{line}</div>{details}</div>'
    )
