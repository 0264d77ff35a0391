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
from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from assistant.models import Answer, Article, Citation, Mode, Span
from assistant.translation import Translation

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


def translate_href(source: str, start: int, end: int) -> str:
    """The link that asks the page to machine-translate the quote ``source[start:end]``.

    >>> translate_href("001 a.txt", 3, 9)
    '#translate=001%20a.txt:3:9'
    """
    return f"#translate={quote(source, safe='')}:{start}:{end}"


_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
TRANSLATE_ACTION = "Translate to English"


def render_translate_action(c: Citation) -> str:
    """The per-quote "Translate to English" action (a link the page script catches), or ""
    for a quote with no Arabic in it (there is nothing to translate)."""
    if not _ARABIC_LETTER.search(c.quote):
        return ""
    return (
        f'<a class="translate-action" lang="en" dir="ltr" href="{translate_href(c.source, c.start, c.end)}" '
        f'title="Machine translation by the language model; the Arabic quote stays the evidence">'
        f"{TRANSLATE_ACTION}</a>"
    )


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


def quote_start(text: str, citations: tuple[Citation, ...] = ()) -> int:
    """Where the quote of a list item begins: at the cited quote's own text (with its
    opening «) when the item's ``[n]`` marker names a citation, else at the first «; -1
    when there is none. Using the citation copes with guillemets inside the intro.

    >>> quote_start('Lavrov, in «Title»: «Yes» [1]', (Citation("a.txt", "Yes", 0, 3),))
    20
    """
    for group in _MARKERS.findall(text):
        for number in group.split(","):
            index = int(number) - 1
            if 0 <= index < len(citations) and citations[index].quote.strip():
                found = text.find(citations[index].quote.strip()[:40])
                if found > 0:
                    return found - 1 if text[found - 1] == "«" else found
    return text.find("«")


def render_intro(intro: str, citations: tuple[Citation, ...] = ()) -> str:
    """An intro line with each ``"quoted"`` part (an article's title) isolated in its own
    direction, so an Arabic title inside an English line keeps its punctuation in place.

    >>> render_intro('Lavrov, in "لافروف.." (29 April 2024)')
    'Lavrov, in "<span dir="auto">لافروف..</span>" (29 April 2024)'
    """
    parts = re.split(r'("[^"\n]+")', intro)
    return "".join(
        f'"<span dir="auto">{render_inline(part[1:-1], citations)}</span>"'
        if len(part) > 2 and part[0] == part[-1] == '"'
        else render_inline(part, citations)
        for part in parts
    )


def render_item(text: str, citations: tuple[Citation, ...] = ()) -> str:
    """One list item; a quote introduced by a line of its own is split into two blocks.

    ``Wang Yi, in "title" (2024-04-29): «…» [1]`` becomes an intro block (its own
    direction: English reads left-to-right) with the quote beneath it in *its* own
    direction (Arabic right-to-left), so neither scrambles the other. An item that is
    only a quote, or has no quote, stays one block.
    """
    opening = quote_start(text, citations)
    intro = text[: max(opening, 0)].strip()
    if opening <= 0 or not intro:
        return f'<li dir="auto">{render_inline(text, citations)}</li>'
    return (
        f'<li dir="auto" class="introduced"><span class="quote-intro" dir="auto">'
        f"{render_intro(intro, citations)}</span>"
        f'<span class="quote-text" dir="auto">{render_inline(text[opening:], citations)}</span></li>'
    )


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
            items.append(render_item(stripped[2:], citations))
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


Position = tuple[int, int]  # (paragraph number, paragraph count); number 0 = the title line
POSITION_LABEL = {"ar": "الفقرة {k} من {n}", "en": "paragraph {k} of {n}"}
TITLE_LABEL = {"ar": "العنوان", "en": "the title"}


def position_label(position: Position | None, language: str = "en") -> str:
    """``(4, 9)`` → ``"paragraph 4 of 9"``, ``(0, 9)`` → ``"the title"`` (Arabic wording
    for ``"ar"``); "" when unknown."""
    if position is None:
        return ""
    if position[0] == 0:
        return TITLE_LABEL.get(language, TITLE_LABEL["en"])
    template = POSITION_LABEL.get(language, POSITION_LABEL["en"])
    return template.format(k=position[0], n=position[1])


def _kept_lines(article: Article) -> list[Span]:
    """The non-blank lines of the article's kept text (boilerplate excluded)."""
    found = []
    for block in article.blocks:
        for match in re.finditer(r"[^\n]+", article.original[block.start : block.end]):
            if match.group().strip():
                found.append(Span(block.start + match.start(), block.start + match.end()))
    return found


def _is_title(article: Article, line: Span) -> bool:
    """Whether ``line`` is the article's title line."""
    return article.original[line.start : line.end].strip() == article.title.strip()


def paragraphs(article: Article) -> list[Span]:
    """The article's paragraphs as a reader counts them: the non-blank lines of its kept
    text, without the title line (shown as the heading) and without boilerplate (bylines,
    share buttons), which the viewer dims."""
    lines = _kept_lines(article)
    return lines[1:] if lines and _is_title(article, lines[0]) else lines


def paragraph_position(article: Article, start: int) -> Position | None:
    """Which paragraph holds character ``start``: ``(k, n)``; ``(0, n)`` in the title
    line; None elsewhere (boilerplate).

    >>> from assistant.documents import parse_article
    >>> article = parse_article("a.txt", "A title line\\n\\nThe first one.\\n\\nThe second one.")
    >>> paragraph_position(article, 30), paragraph_position(article, 2)
    ((2, 2), (0, 2))
    """
    spans = paragraphs(article)
    for number, span in enumerate(spans, start=1):
        if span.start <= start < span.end:
            return number, len(spans)
    lines = _kept_lines(article)
    if lines and _is_title(article, lines[0]) and lines[0].start <= start < lines[0].end:
        return 0, len(spans)
    return None


def _offsets(start: int, end: int) -> str:
    """The exact cited range, for tooltips: ``characters 407–600``."""
    return f"characters {start:,}–{end:,}"


def render_citation(
    number: int,
    c: Citation,
    position: Position | None = None,
    language: str = "en",
    translatable: bool = False,
) -> str:
    """One source card: number and title (in its own direction) on the first line; file,
    date and paragraph as separate isolated items on the second; then the quote; with
    ``translatable`` (an LLM is configured), a "Translate to English" action under it.

    The whole card is one link; its tooltip keeps the file and exact character offsets.
    """
    meta = [f'<span class="cite-file" dir="ltr">{escape(c.source)}</span>']
    if c.date:
        meta.append(
            f'<time class="cite-date" dir="ltr" datetime="{escape(c.date)}">{escape(c.date)}</time>'
        )
    if position is not None:
        meta.append(f'<span class="cite-pos">{position_label(position, language)}</span>')
    title = escape(c.title or c.source)
    tooltip = escape(f"{c.source} · {_offsets(c.start, c.end)}")
    return (
        f'<li class="cite-item"><a class="cite" href="{cite_href(c.source, c.start, c.end)}" title="{tooltip}">'
        f'<span class="cite-head"><span class="cite-num">[{number}]</span>'
        f'<span class="cite-title" dir="auto">{title}</span></span>'
        f'<span class="cite-meta">{"".join(meta)}</span>'
        f'<span class="cite-quote" dir="auto">«{escape(_preview(c.quote))}»</span></a>'
        f"{render_translate_action(c) if translatable else ''}</li>"
    )


def render_citations(
    citations: tuple[Citation, ...],
    positions: Sequence[Position | None] = (),
    language: str = "en",
    translatable: bool = False,
) -> str:
    """The "Sources" list under an answer (empty string when there are none)."""
    if not citations:
        return ""
    located = list(positions) + [None] * (len(citations) - len(positions))
    items = "".join(
        render_citation(n, c, located[n - 1], language, translatable)
        for n, c in enumerate(citations, start=1)
    )
    return (
        f'<details class="sources" open><summary>Sources · المصادر ({len(citations)})</summary>'
        f'<ul class="cite-list">{items}</ul></details>'
    )


def answer_direction(language: str) -> str:
    """The direction of an answer's frame (its sources list) from its language."""
    return "rtl" if language == "ar" else "ltr"


def render_answer(
    answer: Answer, positions: Sequence[Position | None] = (), translatable: bool = False
) -> str:
    """A whole answer or summary: text with linked markers, notes, then the sources.

    ``positions[i]`` is where citation ``i`` sits in its article (paragraph k of n), when
    the caller looked it up; without it the cards show no paragraph. ``translatable``
    (an LLM is configured) adds a "Translate to English" action to each Arabic quote.
    """
    classes = "answer abstained" if answer.abstained else "answer"
    notes = "".join(f'<p class="note" dir="auto">{escape(n)}</p>' for n in answer.notes)
    sources = render_citations(answer.citations, positions, answer.language, translatable)
    return (
        f'<div class="{classes}" lang="{escape(answer.language)}" dir="{answer_direction(answer.language)}">'
        f"{render_text(answer.text, answer.citations)}{notes}{sources}</div>"
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


def render_progress(message: str, done: int | None = None, total: int | None = None) -> str:
    """Work under way, shown in the page: a message and, when counted, a bar ``done/total``.

    ``role="status"`` lets screen readers announce it; the bar is a real ``<progress>``.
    """
    bar = ""
    if done is not None and total:
        bar = f'<progress max="{int(total)}" value="{min(int(done), int(total))}"></progress>'
    return f'<div class="progress-msg" role="status" dir="auto"><span class="spinner"></span>{escape(message)}{bar}</div>'


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


def viewer_header(article: Article, span: tuple[int, int] | None, number: int | None = None) -> str:
    """Title (in its own direction), then file, date and "paragraph k of n" as separate
    isolated items; the exact character range is kept in the paragraph's tooltip."""
    meta = [f'<span class="fname" dir="ltr">{escape(article.source)}</span>']
    if article.date:
        meta.append(
            f'<time dir="ltr" datetime="{escape(article.date)}">{escape(article.date)}</time>'
        )
    if span:
        label = f"[{number}] " if number else ""
        where = position_label(paragraph_position(article, span[0])) or "highlighted passage"
        meta.append(f'<span class="viewer-pos" title="{_offsets(*span)}">{label}{where}</span>')
    return (
        f'<div class="viewer-head"><a class="viewer-back" href="#back-to-answer">'
        f"↑ Back to the answer · عودة إلى الإجابة</a>"
        f'<div class="viewer-title" dir="auto">{escape(article.title)}</div>'
        f'<div class="viewer-meta">{"".join(meta)}</div></div>'
    )


def render_translation(translation: Translation) -> str:
    """A machine translation of a quote, for the viewer: its label first (it is the model's
    text, not the evidence), the English text, and, when the check found names or numbers
    missing, a warning listing them (each isolated: they mix English and Arabic)."""
    warning = ""
    if not translation.checked:
        lost = ", ".join(f"<bdi>{escape(item)}</bdi>" for item in translation.missing)
        warning = (
            '<div class="error-msg translation-warning" dir="ltr" role="alert">'
            f"Check this translation against the Arabic quote: it lost {lost}.</div>"
        )
    return (
        '<section class="translation" lang="en" dir="ltr">'
        f'<p class="translation-label">{escape(translation.label)}</p>'
        f'<blockquote class="translation-text">{escape(translation.text)}</blockquote>'
        f"{warning}</section>"
    )


def render_source(
    article: Article,
    start: int | None = None,
    end: int | None = None,
    number: int | None = None,
    above: str = "",
) -> str:
    """The whole article, escaped, with ``original[start:end]`` wrapped in one ``<mark>``.

    Without a span (or with an invalid one) the article is shown with no highlight.
    ``above`` is HTML (already escaped) shown between the header and the text: a quote's
    translation, or why it failed.
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
        f'<div class="viewer" data-source="{escape(article.source)}">{head}{above}'
        f'<div class="viewer-body" dir="{direction}" lang="{escape(article.language)}">{body}</div></div>'
    )


VIEWER_PLACEHOLDER = (
    '<div class="viewer viewer-empty viewer-placeholder"><div class="viewer-head"><div class="viewer-title">'
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
    headers = ("Title · العنوان", "File", "Date", "Lang", "Chars", "Passages", "Status")
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
