"""The web page's handlers as plain functions over a real offline Assistant.

A temp copy of the bundled articles plus one planted article full of HTML (``<script>``,
``<img onerror>``) is indexed once per module with the hashing embedder; no browser and
no Gradio server are involved. The browser tests (``test_web_browser.py``) check the
same behaviour through real Chromium.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.models import Answer, Citation, Mode
from assistant.service import Assistant
from assistant.web import (
    EMPTY_QUESTION,
    Turn,
    WebHandlers,
    assistant_history,
    build_app,
    launch_options,
    parse_auth,
    parse_cite_request,
    uploaded_paths,
)
from assistant.web_progress import Outcome, Step, in_background
from assistant.web_render import (
    cite_href,
    paragraph_position,
    position_label,
    render_answer,
    render_inline,
    render_text,
)
from assistant.web_timeline import render_timeline
from tests.conftest_web import (
    AR_QUESTION,
    EN_QUESTION,
    HTML_ARTICLE,
    HTML_QUESTION,
    HTML_TEXT,
    LAVROV,
    PHONE_CALL,
    make_assistant,
)
from tests.fake_openai_server import FakeLLMServer

MARK = re.compile(r'<mark class="cited"[^>]*>(.*?)</mark>', re.S)
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def handlers(tmp_path_factory: pytest.TempPathFactory) -> WebHandlers:
    """Handlers over one shared index (read-only tests)."""
    return WebHandlers(make_assistant(tmp_path_factory.mktemp("web")))


@pytest.fixture
def fresh_handlers(tmp_path: Path) -> WebHandlers:
    """Handlers over a private index, for tests that add files."""
    return WebHandlers(make_assistant(tmp_path))


def final(updates: Iterator[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The last UI update a streaming handler yields."""
    collected = list(updates)
    assert collected
    return collected[-1]


def ask(
    handlers: WebHandlers, question: str, turns: list[Turn] | None = None
) -> tuple[list[dict], list[Turn], str, str]:
    return final(handlers.respond(question, turns or []))  # type: ignore[return-value]


def marked_text(viewer_html: str) -> str:
    """The text inside the viewer's single ``<mark>``, tags stripped, entities decoded."""
    marks = MARK.findall(viewer_html)
    assert len(marks) == 1, viewer_html[:500]
    return html.unescape(TAG.sub("", marks[0]))


# --- chat -----------------------------------------------------------------------------


def test_an_arabic_question_gets_an_answer_citing_the_lavrov_article(handlers: WebHandlers) -> None:
    messages, turns, box, status = ask(handlers, AR_QUESTION)
    answer = turns[-1].answer
    assert answer is not None and not answer.abstained
    assert answer.citations[0].source == LAVROV
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert (
        cite_href(LAVROV, answer.citations[0].start, answer.citations[0].end)
        in messages[1]["content"]
    )
    assert box == "" and status == ""


def test_an_english_question_gets_an_answer_citing_the_phone_call_article(
    handlers: WebHandlers,
) -> None:
    _, turns, _, _ = ask(handlers, EN_QUESTION)
    answer = turns[-1].answer
    assert answer is not None and answer.language == "en"
    assert PHONE_CALL in {c.source for c in answer.citations}
    assert answer.citations[0].source == PHONE_CALL


def test_the_answer_streams_after_the_question_is_shown_and_the_box_is_cleared(
    handlers: WebHandlers,
) -> None:
    updates = list(handlers.respond(AR_QUESTION, []))
    first_messages, first_turns, first_box, _ = updates[0]
    assert len(updates) >= 3
    assert first_box == ""
    assert first_turns[-1].answer is None and "streaming" in first_messages[-1]["content"]
    assert updates[-1][1][-1].answer is not None


def test_answer_messages_give_each_block_its_own_direction(handlers: WebHandlers) -> None:
    messages, _, _, _ = ask(handlers, EN_QUESTION)
    user, bot = messages[0]["content"], messages[1]["content"]
    assert 'dir="auto"' in user
    assert bot.count('dir="auto"') >= 3
    assert "\n\n" not in bot  # one HTML block: the chat's Markdown pass must not split it


@pytest.mark.parametrize("question", ["", "   ", "\n\t", None])
def test_an_empty_question_gives_a_clear_message_and_no_turn(
    handlers: WebHandlers, question: str | None
) -> None:
    previous = [Turn("q", error="e")]
    messages, turns, _, status = ask(handlers, question, previous)  # type: ignore[arg-type]
    assert turns == previous and len(messages) == 2
    assert html.escape(EMPTY_QUESTION) in status


def test_a_too_long_question_gives_the_assistants_message_not_an_exception(
    handlers: WebHandlers,
) -> None:
    _, turns, _, _ = ask(handlers, "لافروف " * 1000)
    assert turns[-1].answer is None and "too long" in (turns[-1].error or "")


def test_a_question_containing_html_is_shown_as_text(handlers: WebHandlers) -> None:
    messages, _, _, _ = ask(
        handlers, "<img src=x onerror=alert(1)> <script>alert(2)</script> " + AR_QUESTION
    )
    user = messages[0]["content"]
    assert "<img" not in user and "<script" not in user
    assert "&lt;img src=x onerror=alert(1)&gt;" in user


def test_an_answer_quoting_html_from_an_article_is_escaped(handlers: WebHandlers) -> None:
    messages, turns, _, _ = ask(handlers, HTML_QUESTION)
    answer = turns[-1].answer
    assert answer is not None and answer.citations[0].source == HTML_ARTICLE
    assert "<script>" in answer.text  # the raw answer quotes the article...
    bot = messages[1]["content"]
    assert "<script" not in bot and "<img" not in bot  # ...the page shows it as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bot


def test_an_unexpected_failure_becomes_a_message_not_an_exception(
    handlers: WebHandlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(question: str, history: object = None) -> Iterator[str | Answer]:
        yield "partial "
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(handlers.assistant, "ask_stream", broken)
    messages, turns, _, _ = ask(handlers, AR_QUESTION)
    assert (
        "RuntimeError" in (turns[-1].error or "") and "disk on fire" not in messages[1]["content"]
    )
    assert "error-msg" in messages[1]["content"]


def test_streaming_updates_are_throttled_but_the_final_text_is_complete(
    handlers: WebHandlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = handlers.assistant.ask(AR_QUESTION)

    def many_deltas(question: str, history: object = None) -> Iterator[str | Answer]:
        yield from (f"w{i} " for i in range(2000))
        yield real

    monkeypatch.setattr(handlers.assistant, "ask_stream", many_deltas)
    updates = list(handlers.respond(AR_QUESTION, []))
    assert 3 <= len(updates) < 200
    assert updates[-1][1][-1].partial.count("w") == 2000
    assert updates[-1][1][-1].answer == real


def test_an_llm_answer_streams_word_by_word_then_gets_its_citation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quote = "ستواصل “اتخاذ موقف مستقل وعادل” ودعوة الأطراف المعنية لبدء محادثات السلام"
    offline = make_assistant(tmp_path)
    monkeypatch.setattr("assistant.web.STREAM_INTERVAL_S", 0.0)
    reply = f"Wang Yi said China will keep an independent and fair position [1: «{quote}»]"
    with FakeLLMServer([reply]) as server:
        settings = offline.settings.model_copy(
            update={
                "llm_provider": "openai",
                "llm_model": "fake",
                "llm_base_url": server.openai_url,
            }
        )
        online = WebHandlers(Assistant.from_settings(settings, auto_ingest=False))
        updates = list(online.respond(EN_QUESTION, []))
        banner = online.banner()
    partials = [u[1][-1].partial for u in updates if u[1][-1].answer is None]
    assert len({p for p in partials if p}) >= 3  # the text grew over several updates
    answer = updates[-1][1][-1].answer
    assert answer is not None and answer.citations[0].source == PHONE_CALL
    assert (
        cite_href(PHONE_CALL, answer.citations[0].start, answer.citations[0].end)
        in updates[-1][0][1]["content"]
    )
    assert "openai:fake" in banner and "offline" not in banner


def test_a_follow_up_question_is_asked_with_the_sessions_history(
    handlers: WebHandlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[tuple[str, str]]] = []
    real = handlers.assistant.ask_stream

    def spy(question: str, history: list[tuple[str, str]] | None = None) -> Iterator[str | Answer]:
        seen.append(list(history or []))
        return real(question, history)

    monkeypatch.setattr(handlers.assistant, "ask_stream", spy)
    _, turns, _, _ = ask(handlers, AR_QUESTION)
    _, turns, _, _ = ask(handlers, "وماذا عن الصين؟", turns)
    assert seen[0] == []
    assert seen[1] == [(AR_QUESTION, turns[0].answer.text)]  # type: ignore[union-attr]
    assert len(turns) == 2


def test_two_sessions_keep_separate_conversations(handlers: WebHandlers) -> None:
    session_a: list[Turn] = []
    session_b: list[Turn] = []
    _, session_a, _, _ = ask(handlers, AR_QUESTION, session_a)
    _, session_b, _, _ = ask(handlers, EN_QUESTION, session_b)
    _, session_a, _, _ = ask(handlers, "وماذا عن الصين؟", session_a)
    assert [t.question for t in session_a] == [AR_QUESTION, "وماذا عن الصين؟"]
    assert [t.question for t in session_b] == [EN_QUESTION]
    assert assistant_history(session_b) == [(EN_QUESTION, session_b[0].answer.text)]  # type: ignore[union-attr]


def test_respond_does_not_modify_the_state_list_it_was_given(handlers: WebHandlers) -> None:
    given: list[Turn] = []
    ask(handlers, AR_QUESTION, given)
    assert given == []


def test_clear_empties_chat_history_and_viewer(handlers: WebHandlers) -> None:
    chat, turns, box, status, viewer = handlers.clear()
    assert chat == [] and turns == [] and box == "" and status == ""
    assert "Source viewer" in viewer


# --- source viewer --------------------------------------------------------------------


def test_the_viewer_highlights_exactly_each_cited_span(handlers: WebHandlers) -> None:
    _, turns, _, _ = ask(handlers, AR_QUESTION)
    answer = turns[-1].answer
    assert answer is not None and answer.citations
    for c in answer.citations:
        original = handlers.assistant.article(c.source).original
        viewer = handlers.show_source(c.source, c.start, c.end)
        assert marked_text(viewer) == original[c.start : c.end] == c.quote


def test_the_viewer_shows_the_whole_article_right_to_left(handlers: WebHandlers) -> None:
    article = handlers.assistant.article(LAVROV)
    viewer = handlers.show_source(LAVROV, 10, 20)
    body = viewer.split('class="viewer-body"', 1)[1].split(">", 1)[1]
    assert html.unescape(TAG.sub("", body)) == article.original
    assert '<div class="viewer-body" dir="rtl" lang="ar">' in viewer
    assert html.escape(article.title, quote=False) in viewer


def test_an_article_with_script_and_img_tags_renders_as_text(handlers: WebHandlers) -> None:
    start = HTML_TEXT.index("<script>")
    viewer = handlers.show_source(HTML_ARTICLE, start, start + len("<script>alert(1)</script>"))
    assert "<script" not in viewer and "<img" not in viewer
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in viewer
    assert "&lt;img src=x onerror=alert(1)&gt;" in viewer
    assert marked_text(viewer) == "<script>alert(1)</script>"


def test_the_viewer_says_which_paragraph_is_quoted_and_keeps_offsets_in_a_tooltip(
    handlers: WebHandlers,
) -> None:
    _, turns, _, _ = ask(handlers, AR_QUESTION)
    answer = turns[-1].answer
    assert answer is not None
    c = answer.citations[0]
    k, n = paragraph_position(handlers.assistant.article(c.source), c.start) or (0, 0)
    viewer = handlers.show_source(c.source, c.start, c.end)
    assert 1 <= k <= n
    assert f'title="characters {c.start:,}–{c.end:,}">paragraph {k} of {n}</span>' in viewer
    assert "characters" not in TAG.sub("", viewer)  # offsets only in the tooltip


def test_paragraphs_are_counted_without_the_title_line_and_boilerplate(
    handlers: WebHandlers,
) -> None:
    article = handlers.assistant.article(HTML_ARTICLE)
    first = HTML_TEXT.index("قال خبير")
    last = HTML_TEXT.index("وأكد الخبير")
    assert paragraph_position(article, first) == (1, 3)
    assert paragraph_position(article, last) == (3, 3)
    assert paragraph_position(article, 0) == (0, 3)  # the title line: "the title", not counted
    assert position_label((0, 3), "ar") == "العنوان" and position_label((0, 3)) == "the title"
    assert position_label((2, 3), "ar") == "الفقرة 2 من 3" and position_label(None) == ""


def test_source_cards_give_title_date_and_paragraph_as_separate_items(
    handlers: WebHandlers,
) -> None:
    messages, turns, _, _ = ask(handlers, AR_QUESTION)
    answer, card_html = turns[-1].answer, messages[1]["content"]
    assert answer is not None and turns[-1].positions
    c, (k, n) = answer.citations[0], turns[-1].positions[0]
    card = card_html.split('class="cite-item"')[1]
    assert f'<span class="cite-title" dir="auto">{html.escape(c.title)}</span>' in card
    assert f'<span class="cite-file" dir="ltr">{c.source}</span>' in card
    assert f'<time class="cite-date" dir="ltr" datetime="{c.date}">' in card
    assert f'<span class="cite-pos">الفقرة {k} من {n}</span>' in card
    assert f"characters {c.start:,}–{c.end:,}" in card.split(">")[1]  # the link's tooltip
    assert 'dir="rtl"' in card_html.split(">")[0]  # an Arabic answer's cards read right-to-left


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "..", "", "nope.txt", "001_2a0015d8fffb9b77.txt/.."]
)
def test_the_viewer_refuses_names_that_are_not_indexed(handlers: WebHandlers, name: str) -> None:
    viewer = handlers.show_source(name, 0, 10)
    assert "error-msg" in viewer and "not an indexed article" in viewer
    assert "root:" not in viewer and "<mark" not in viewer


def test_a_citation_request_from_the_page_opens_the_viewer(handlers: WebHandlers) -> None:
    viewer = handlers.open_citation(f"{LAVROV}|407|600|1700000000")
    assert marked_text(viewer) == handlers.assistant.article(LAVROV).original[407:600]
    assert "not an indexed article" in handlers.open_citation("../../etc/passwd|0|5|1")
    assert "<mark" not in handlers.open_citation(f"{LAVROV}|||1")  # whole article, no highlight


@pytest.mark.parametrize("span", [(0, 0), (50, 10), (-1, 5), (0, 10**7)])
def test_an_impossible_span_shows_the_article_without_highlight(
    handlers: WebHandlers, span: tuple[int, int]
) -> None:
    viewer = handlers.show_source(LAVROV, *span)
    assert "<mark" not in viewer and "viewer-body" in viewer


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("a.txt|1|5|99", ("a.txt", 1, 5)),
        ("a|b.txt|1|5|99", ("a|b.txt", 1, 5)),
        ("مقال.txt|||99", ("مقال.txt", None, None)),
        ("a.txt|x|5|99", ("a.txt", None, None)),
        ("", None),
        (None, None),
        ("a.txt|1|5", None),
        ("|1|2|3", None),
    ],
)
def test_citation_requests_are_parsed_strictly(request_text: str | None, expected: object) -> None:
    assert parse_cite_request(request_text) == expected


# --- summaries ------------------------------------------------------------------------


def test_summarising_one_article_cites_only_that_article(handlers: WebHandlers) -> None:
    out = handlers.summarise([PHONE_CALL], "")
    assert "summary-result" in out and "cite-list" in out
    assert set(re.findall(r"#cite=([^:\"]+):", out)) == {PHONE_CALL}


def test_summarising_with_no_article_chosen_covers_all(handlers: WebHandlers) -> None:
    out = handlers.summarise([], None)
    assert len(set(re.findall(r"#cite=([^:\"]+):", out))) >= 5


def test_a_topic_summary_is_cited(handlers: WebHandlers) -> None:
    out = handlers.summarise(None, "أمن أوراسيا")
    assert LAVROV in out and 'lang="ar"' in out


def test_summarising_an_unknown_article_gives_a_message(handlers: WebHandlers) -> None:
    out = handlers.summarise(["../../etc/passwd"], None)
    assert "error-msg" in out and "Not in the index" in out


# --- library, upload, banner ----------------------------------------------------------


def test_the_library_lists_every_article_with_title_date_and_chunks(handlers: WebHandlers) -> None:
    table = handlers.library()
    for row in handlers.assistant.articles():
        assert html.escape(row["source"]) in table
        assert html.escape(row["title"], quote=False) in table
    assert "2024-04-29" in table and f"{len(handlers.assistant.articles())} articles" in table


def test_upload_indexes_the_good_file_and_explains_the_bad_ones(
    fresh_handlers: WebHandlers, tmp_path: Path
) -> None:
    before = {r["source"] for r in fresh_handlers.assistant.articles()}
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    good = uploads / "خبر جديد.txt"
    good.write_text(
        "زار وزير الخارجية الفرنسي القاهرة لبحث أزمة المياه.\n\nوقال الوزير إن التعاون مستمر.",
        encoding="utf-8",
    )
    binary = uploads / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    empty = uploads / "empty.txt"
    empty.write_bytes(b"")
    pdf = uploads / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    report, library, picker, banner, cleared = fresh_handlers.upload(
        [str(good), str(binary), str(empty), str(pdf)]
    )
    after = {r["source"] for r in fresh_handlers.assistant.articles()}
    assert after == before | {"خبر جديد.txt"}
    assert "خبر جديد.txt" in library and "1 added" in report
    for name in ("binary.txt", "empty.txt", "report.pdf"):
        assert re.search(rf"error-msg[^>]*>[^<]*{re.escape(name)}", report), (name, report)
    assert any(value == "خبر جديد.txt" for _, value in picker["choices"])
    assert cleared is None and "articles" in banner


def test_upload_with_no_files_asks_for_some(fresh_handlers: WebHandlers) -> None:
    report, *_ = fresh_handlers.upload(None)
    assert "Choose one or more" in report


def test_reindex_reports_what_it_did(fresh_handlers: WebHandlers) -> None:
    data_dir = fresh_handlers.assistant.settings.data_dir
    (data_dir / LAVROV).unlink()
    report, library, _, _ = fresh_handlers.reindex()
    assert "1 removed" in report and LAVROV not in library
    assert "not an indexed article" in fresh_handlers.show_source(LAVROV, 0, 5)


def test_the_banner_names_the_embedder_and_says_how_to_enable_an_llm(handlers: WebHandlers) -> None:
    banner = handlers.banner()
    assert handlers.assistant.mode.embedder in banner
    for words in (
        "offline",
        "ASSISTANT_LLM_PROVIDER",
        "ASSISTANT_LLM_MODEL",
        "ASSISTANT_LLM_BASE_URL",
        "ASSISTANT_EMBEDDER",
    ):
        assert words in banner


# --- rendering and launch details -----------------------------------------------------


def test_markers_become_links_only_for_existing_citations() -> None:
    cites = (Citation("a b.txt", "q", 3, 4),)
    out = render_inline("see [1] and [2] and [1, 2]", cites)
    assert out.count('href="#cite=a%20b.txt:3:4"') == 2 and "[2]" in out


@pytest.mark.parametrize(
    "text", ["", "x", "<b>", "- <i>item</i> [1]", "سطر عربي\n- English line", "**a**\n\n\n**b**"]
)
def test_answer_text_is_always_escaped(text: str) -> None:
    out = render_text(text, (Citation("a.txt", "q", 0, 1),))
    assert "<b>" not in out and "<i>" not in out and "\n" not in out


def test_an_answer_with_html_in_every_field_is_escaped() -> None:
    evil = "<img src=x onerror=alert(1)>"
    answer = Answer(
        question=evil,
        text=f"{evil} [1]",
        language="en",
        abstained=False,
        citations=(Citation(f"{evil}.txt", evil, 0, 5, title=evil, date=evil),),
        retrieved=(),
        mode=Mode("hashing", "none"),
        notes=(evil,),
    )
    assert "<img" not in render_answer(answer)


def test_uploaded_paths_accepts_strings_and_file_objects(tmp_path: Path) -> None:
    class FileLike:
        def __init__(self, path: str) -> None:
            self.path = path

    assert uploaded_paths(None) == []
    assert uploaded_paths(str(tmp_path)) == [tmp_path]
    assert uploaded_paths([tmp_path / "a.txt"]) == [tmp_path / "a.txt"]
    assert uploaded_paths([FileLike("/x/a.txt"), "/y/b.txt"]) == [
        Path("/x/a.txt"),
        Path("/y/b.txt"),
    ]


def test_launch_is_safe_by_default(handlers: WebHandlers) -> None:
    options = launch_options(handlers.assistant.settings)
    assert options["share"] is False and options["auth"] is None and options["ssr_mode"] is False
    assert "cite-request" in options["head"] and "Noto Naskh Arabic" in str(options["theme"].font)


def test_auth_is_parsed_from_user_colon_password() -> None:
    assert parse_auth("editor:s3cr:et") == ("editor", "s3cr:et")
    assert parse_auth(None) is None
    with pytest.raises(Exception, match="user:password"):
        parse_auth("no-colon")


def test_build_app_wires_the_handlers(handlers: WebHandlers) -> None:
    demo = build_app(handlers.assistant)
    names = [getattr(fn.fn, "__name__", "") for fn in demo.fns.values()]
    assert {
        "respond",
        "open_citation",
        "summarise_live",
        "upload_live",
        "reindex_live",
        "clear",
    } <= set(names)
    assert names.count("clear") == 2  # the button and the chat's own trash icon reset the history


def test_the_page_refreshes_on_load_without_a_spinner_over_the_banner(
    handlers: WebHandlers,
) -> None:
    demo = build_app(handlers.assistant)
    load = [d for d in demo.config["dependencies"] if [t[1] for t in d["targets"]] == ["load"]]
    assert load and all(d["show_progress"] == "hidden" for d in load)


def test_the_tabs_wrap_instead_of_hiding_in_an_overflow_menu(handlers: WebHandlers) -> None:
    demo = build_app(handlers.assistant)
    tabs = [c for c in demo.config["components"] if c.get("type") == "tabs"]
    assert [t["props"]["overflow_behavior"] for t in tabs] == ["wrap"]


# --- English intros for Arabic quotes -------------------------------------------------


def test_a_quote_with_an_english_intro_is_two_blocks_each_in_its_own_direction() -> None:
    quote = "قال وانغ يي إن الصين ستواصل"
    cites = (Citation("004.txt", quote, 10, 40),)
    text = f'Quoted:\n- Wang Yi, in "وزيرا خارجية الصين.." (29 April 2024): «{quote}» [1]'
    item = render_text(text, cites).split("<li", 1)[1]
    assert item.startswith(' dir="auto" class="introduced">')
    assert (
        '<span class="quote-intro" dir="auto">Wang Yi, in '
        '"<span dir="auto">وزيرا خارجية الصين..</span>" (29 April 2024):</span>'
    ) in item  # the Arabic title isolated inside the English line
    assert f'<span class="quote-text" dir="auto">«{quote}» <a class="cite-marker"' in item


def test_a_plain_quote_item_stays_one_block() -> None:
    out = render_text("- «قال لافروف» [1]", (Citation("a.txt", "قال لافروف", 0, 10),))
    assert "introduced" not in out and out.startswith('<ul class="answer-list"><li dir="auto">')


# --- long work: progress in the page, failures as messages ----------------------------


def test_background_work_reports_its_steps_then_its_outcome() -> None:
    def work(step: Any) -> str:
        step(1, 2, "a.txt")
        step(2, 2, "b.txt")
        return "done"

    events = list(in_background(work, tick_s=5.0))
    assert [e for e in events if isinstance(e, Step)] == [Step(1, 2, "a.txt"), Step(2, 2, "b.txt")]
    assert events[-1] == Outcome(value="done")


def test_background_work_that_raises_ends_with_the_exception() -> None:
    def work(step: Any) -> str:
        raise RuntimeError("disk on fire")

    events = list(in_background(work, tick_s=5.0))
    assert isinstance(events[-1], Outcome) and isinstance(events[-1].error, RuntimeError)


def test_an_upload_shows_indexing_progress_then_the_report(
    fresh_handlers: WebHandlers, tmp_path: Path
) -> None:
    good = tmp_path / "خبر.txt"
    good.write_text("عنوان الخبر\n\nزار الوزير القاهرة وبحث ملف المياه مع نظيره.", encoding="utf-8")
    updates = list(fresh_handlers.upload_live([str(good)]))
    assert "progress-msg" in updates[0][0] and "Indexing 1 uploaded file" in updates[0][0]
    assert any("<progress" in u[0] and "1/1 files" in u[0] for u in updates[1:-1])
    report, library, picker, banner, cleared = updates[-1]
    assert "1 added" in report and "progress-msg" not in report and "خبر.txt" in library
    assert cleared is None and "articles" in banner


def test_a_failing_summary_ends_with_a_message_not_a_spinner(
    fresh_handlers: WebHandlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Answer:
        raise RuntimeError("model server vanished")

    monkeypatch.setattr(fresh_handlers.assistant, "summarize", broken)
    updates = list(fresh_handlers.summarise_live([PHONE_CALL], None))
    assert "progress-msg" in updates[0][0] and "Summarising 1 article" in updates[0][0]
    assert "error-msg" in updates[-1][0] and "RuntimeError" in updates[-1][0]
    assert "progress-msg" not in updates[-1][0]


def test_a_summary_shows_progress_then_the_cited_result(handlers: WebHandlers) -> None:
    updates = list(handlers.summarise_live([PHONE_CALL], None))
    assert "progress-msg" in updates[0][0]
    assert "summary-result" in updates[-1][0] and "paragraph" in updates[-1][0]


def test_a_failing_reindex_ends_with_a_message_and_leaves_the_library(
    fresh_handlers: WebHandlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("index locked")

    monkeypatch.setattr(fresh_handlers.assistant, "reindex", broken)
    *_, (report, library, _, _) = fresh_handlers.reindex_live()
    assert "error-msg" in report and "progress-msg" not in report and LAVROV in library


# --- library timeline -----------------------------------------------------------------


def test_the_library_timeline_has_one_bar_per_article_with_its_passage_count(
    handlers: WebHandlers,
) -> None:
    rows = handlers.assistant.articles()
    page = handlers.library()
    bars = re.findall(r'data-source="([^"]+)" data-date="([^"]+)" data-passages="(\d+)"', page)
    assert sorted((html.unescape(s), int(n)) for s, _, n in bars) == sorted(
        (r["source"], r["chunks"]) for r in rows
    )
    assert (LAVROV, "2024-04-29") in {(html.unescape(s), d) for s, d, _ in bars}
    assert page.index("<figure") < page.index("<table")


def test_the_timeline_puts_dated_articles_in_date_order_and_undated_ones_last() -> None:
    rows = [
        {"source": "late.txt", "title": "Late", "date": "2024-05-20", "chunks": 2},
        {"source": "none.txt", "title": "<b>None</b>", "date": "", "chunks": 7},
        {"source": "early.txt", "title": "Early", "date": "2024-04-02", "chunks": 5},
        {"source": "same.txt", "title": "Same day", "date": "2024-04-02", "chunks": 1},
    ]
    svg = render_timeline(rows)
    order = re.findall(r'data-source="([^"]+)"', svg)
    assert order == ["early.txt", "same.txt", "late.txt", "none.txt"]
    xs = [float(x) for x in re.findall(r'<text class="timeline-count" x="([\d.]+)"', svg)]
    assert xs == sorted(xs) and len(set(xs)) == 4  # left to right, no two bars on one spot
    assert "<b>" not in svg and "&lt;b&gt;None&lt;/b&gt;" in svg
    assert (
        "4 articles, 15 passages" in svg
        and "3 dated (2024-04-02 to 2024-05-20); 1 without a date" in svg
    )
    assert render_timeline([]) == ""


def test_a_topic_no_article_mentions_is_summarised_from_one_article_with_a_note(
    handlers: WebHandlers,
) -> None:
    out = handlers.summarise(None, "Taiwan")  # bridged to تايوان, which no article holds
    assert 'class="note"' in out and "No article uses the words of the topic" in out
    assert len(set(re.findall(r"#cite=([^:\"]+):", out))) == 1


def test_an_over_long_topic_gives_a_message_not_a_summary(handlers: WebHandlers) -> None:
    out = handlers.summarise(None, "Eurasia " * 400)
    assert "error-msg" in out and "The topic is too long" in out
