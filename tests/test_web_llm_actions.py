"""The page's LLM-only actions as plain handlers: the summary language and "Translate".

Offline (no LLM) the Summaries tab offers no summary language (it would change only the
heading) and says what a written summary needs, and no quote offers a translation. With
an LLM (the local fake OpenAI-compatible server, real ``ChatOpenAI`` over real HTTP) the
chosen language reaches ``Assistant.summarize`` and each Arabic quote's card has a
"Translate to English" action whose result the viewer shows labelled, escaped, checked,
or with a message when the model server is down. No browser here; ``test_web_browser.py``
checks the same through real Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.models import Answer
from assistant.service import Assistant
from assistant.translation import LABEL
from assistant.web import SUMMARY_LANGUAGE_NEEDS_LLM, TRANSLATE_MAX_CHARS, WebHandlers, build_app
from assistant.web_render import translate_href
from tests.conftest_web import (
    AR_QUESTION,
    EN_QUESTION,
    LAVROV,
    PHONE_CALL,
    TRANSLATION,
    WANG_YI_QUOTE,
    RoutedLLMServer,
    make_assistant,
    with_llm,
)
from tests.fake_openai_server import closed_port_url

TRANSLATE_LINK = re.compile(r'href="#translate=([^:"]+):(\d+):(\d+)"')


@pytest.fixture(scope="module")
def offline_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The bundled articles plus the HTML article, indexed once, no LLM."""
    return make_assistant(tmp_path_factory.mktemp("web-llm"))


@pytest.fixture(scope="module")
def llm_server() -> Iterator[RoutedLLMServer]:
    with RoutedLLMServer() as server:
        yield server


@pytest.fixture(scope="module")
def online(offline_assistant: Assistant, llm_server: RoutedLLMServer) -> WebHandlers:
    """Handlers over the same index with the fake LLM configured."""
    return WebHandlers(with_llm(offline_assistant, llm_server.openai_url))


def component(demo: Any, elem_id: str) -> dict[str, Any] | None:
    """The page config of the component with ``elem_id`` (None when the page has none)."""
    found = [c for c in demo.config["components"] if c.get("props", {}).get("elem_id") == elem_id]
    return found[0] if found else None


def answer_html(handlers: WebHandlers, question: str) -> tuple[Answer, str]:
    """The final answer to ``question`` and the chat HTML it is shown as."""
    *_, (messages, turns, _box, _status) = handlers.respond(question, [])
    assert turns[-1].answer is not None, turns[-1].error
    return turns[-1].answer, messages[-1]["content"]


def summary_spy(handlers: WebHandlers, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record the keyword arguments of each ``summarize`` call (the real one still runs)."""
    calls: list[dict[str, Any]] = []
    real = handlers.assistant.summarize

    def spy(*args: Any, **kwargs: Any) -> Answer:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(handlers.assistant, "summarize", spy)
    return calls


# --- offline ----------------------------------------------------------------------------


def test_offline_the_summaries_tab_offers_no_language_and_says_what_one_needs(
    offline_assistant: Assistant,
) -> None:
    demo = build_app(offline_assistant)
    assert component(demo, "summary-language") is None
    note = component(demo, "summary-language-note")
    assert note is not None and "language model" in note["props"]["value"]
    assert "ASSISTANT_LLM_PROVIDER" in SUMMARY_LANGUAGE_NEEDS_LLM


def test_offline_a_summary_is_asked_without_a_language(
    offline_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    handlers = WebHandlers(offline_assistant)
    calls = summary_spy(handlers, monkeypatch)
    *_, (html,) = handlers.summarise_live([PHONE_CALL], None)
    assert calls == [{"language": None}]
    assert "summary-result" in html and "translate-action" not in html


def test_offline_a_summary_language_sent_anyway_gets_the_services_message(
    offline_assistant: Assistant,
) -> None:
    html = WebHandlers(offline_assistant).summarise([PHONE_CALL], None, "en")
    assert "error-msg" in html and "needs a language model" in html


def test_offline_no_quote_offers_a_translation(offline_assistant: Assistant) -> None:
    answer, html = answer_html(WebHandlers(offline_assistant), AR_QUESTION)
    assert answer.citations and "cite-list" in html
    assert "translate" not in html.lower()


def test_offline_a_translation_request_shows_why_there_is_none(
    offline_assistant: Assistant,
) -> None:
    citation = offline_assistant.ask(AR_QUESTION).citations[0]
    html = WebHandlers(offline_assistant).translate(citation.source, citation.start, citation.end)
    assert "error-msg" in html and "needs a language model" in html
    assert '<mark class="cited"' in html  # the quote is still shown in its article


# --- with an LLM --------------------------------------------------------------------------


def test_with_an_llm_the_summary_language_is_offered_and_passed_to_the_service(
    online: WebHandlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    radio = component(build_app(online.assistant), "summary-language")
    assert radio is not None
    assert [choice[1] for choice in radio["props"]["choices"]] == ["ar", "en"]
    assert component(build_app(online.assistant), "summary-language-note") is None
    calls = summary_spy(online, monkeypatch)
    *_, (html,) = online.summarise_live([PHONE_CALL], None, "en")
    assert calls == [{"language": "en"}]
    assert 'class="summary-result"' in html and 'lang="en"' in html and 'dir="ltr"' in html
    assert set(re.findall(r'href="#cite=([^:"]+):', html)) == {PHONE_CALL}
    assert len(TRANSLATE_LINK.findall(html)) == html.count('class="cite"')


def test_an_arabic_summary_with_an_llm_reads_right_to_left_and_offers_translations(
    online: WebHandlers,
) -> None:
    html = online.summarise([PHONE_CALL], None, "ar")
    assert 'lang="ar"' in html and 'dir="rtl"' in html
    assert TRANSLATE_LINK.findall(html) and "Translate to English" in html


def test_with_an_llm_each_arabic_quote_of_an_answer_has_a_translate_action(
    online: WebHandlers,
) -> None:
    answer, html = answer_html(online, EN_QUESTION)
    links = TRANSLATE_LINK.findall(html)
    assert answer.citations and len(links) == len(answer.citations)
    first = answer.citations[0]
    assert first.source == PHONE_CALL and WANG_YI_QUOTE in first.quote
    assert translate_href(first.source, first.start, first.end) in html
    assert "Translate to English" in html


def test_a_translation_is_shown_labelled_and_escaped_above_the_highlighted_quote(
    online: WebHandlers, llm_server: RoutedLLMServer
) -> None:
    first = online.assistant.ask(EN_QUESTION).citations[0]
    *updates, (html,) = online.translate_live(f"{first.source}|{first.start}|{first.end}|1")
    assert "progress-msg" in updates[0][0] and "Translating the quote" in updates[0][0]
    assert first.quote in llm_server.prompt_text()  # the quote read from the article was sent
    assert LABEL in html and "Machine translation" in html
    assert "&lt;b&gt;[sic]&lt;/b&gt;" in html and "<b>" not in html
    assert TRANSLATION.split(" <b>")[0] in html
    assert html.index("translation-label") < html.index('<mark class="cited"')
    assert "progress-msg" not in html and "translation-warning" not in html


def test_a_translation_that_lost_a_name_or_number_shows_a_warning_listing_them(
    offline_assistant: Assistant,
) -> None:
    article = offline_assistant.article(LAVROV)
    start = article.original.index("لافروف")
    end = article.original.index(".", start) + 1
    with RoutedLLMServer(translation="The minister spoke about security.") as server:
        handlers = WebHandlers(with_llm(offline_assistant, server.openai_url))
        html = handlers.translate(LAVROV, start, end)
    assert "translation-warning" in html and "Check this translation" in html
    assert "Lavrov" in html and "<bdi>" in html


def test_a_translation_with_the_llm_server_down_shows_a_message_not_a_spinner(
    offline_assistant: Assistant,
) -> None:
    down = WebHandlers(with_llm(offline_assistant, closed_port_url() + "/v1"))
    citation = offline_assistant.ask(AR_QUESTION).citations[0]
    updates = list(down.translate_live(f"{citation.source}|{citation.start}|{citation.end}|7"))
    final = updates[-1][0]
    assert "error-msg" in final and "No translation" in final
    assert "progress-msg" not in final and "spinner" not in final
    assert '<mark class="cited"' in final


@pytest.mark.parametrize(
    ("request_text", "message"),
    [
        ("../../etc/passwd|0|10|1", "not"),
        (f"{LAVROV}|50|10|1", "outside"),
        (f"{LAVROV}|0|{TRANSLATE_MAX_CHARS + 1}|1", "characters long"),
    ],
)
def test_a_translation_request_for_no_quote_is_refused_without_asking_the_model(
    online: WebHandlers, llm_server: RoutedLLMServer, request_text: str, message: str
) -> None:
    asked = len(llm_server.requests)
    *_, (html,) = online.translate_live(request_text)
    assert "error-msg" in html and message in html
    assert len(llm_server.requests) == asked


def test_a_malformed_translation_request_leaves_the_viewer_empty(online: WebHandlers) -> None:
    assert "viewer-placeholder" in next(iter(online.translate_live("garbage")))[0]


def test_build_app_wires_the_translate_request(online: WebHandlers) -> None:
    demo = build_app(online.assistant)
    names = [getattr(fn.fn, "__name__", "") for fn in demo.fns.values()]
    assert "translate_live" in names
    assert component(demo, "translate-request") is not None
