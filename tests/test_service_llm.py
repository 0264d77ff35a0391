"""The Assistant end to end with an LLM: real ChatOpenAI client, local fake server, real index.

Checks that the service wires retrieval, the LLM chain and the citation check together:
verified statements keep citations with true file offsets, a fabricated quote is
removed, an abstaining model abstains in the question's language, follow-ups are
rewritten by the model, and a failing server falls back to quoted passages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.retrieval import retrieve
from assistant.service import Assistant
from assistant.settings import Settings
from tests.fake_openai_server import FakeLLMServer

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "articles"
QUOTE = "ستواصل “اتخاذ موقف مستقل وعادل” ودعوة الأطراف المعنية لبدء محادثات السلام"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An index of the bundled articles built once for this module."""
    root = tmp_path_factory.mktemp("svc")
    data = root / "articles"
    shutil.copytree(ARTICLES, data)
    Assistant.from_settings(Settings(store_dir=root / "store", data_dir=data, embedder="hashing"))
    return root / "store", data


def make(store: tuple[Path, Path], server: FakeLLMServer, timeout: float = 60.0) -> Assistant:
    """An Assistant on ``store`` using ``server``; the LLM timeout is long so that a loaded
    machine never turns a served answer into the offline fallback."""
    settings = Settings(
        store_dir=store[0],
        data_dir=store[1],
        embedder="hashing",
        llm_provider="openai",
        llm_model="fake-model",
        llm_base_url=server.openai_url,
        llm_timeout_s=timeout,
    )
    return Assistant.from_settings(settings, auto_ingest=False)


SEARCH_LINE = "ماذا قال وانغ يي عن أوكرانيا وانج يي"


def test_a_verified_llm_answer_keeps_its_citation_with_true_file_offsets(store) -> None:
    reply = f"Wang Yi said China will keep an independent and fair position [1: «{QUOTE}»]"
    with FakeLLMServer([SEARCH_LINE, reply]) as server:
        answer = make(store, server).ask("What did Wang Yi say about Ukraine?")
    assert not answer.abstained
    assert answer.mode.llm.startswith("openai")
    assert len(answer.citations) == 1
    cite = answer.citations[0]
    original = (store[1] / cite.source).read_text(encoding="utf-8")
    assert cite.source == "004_86293efd93ced441.txt"
    assert original[cite.start : cite.end] == cite.quote
    assert "[1]" in answer.text and "independent" in answer.text


def test_an_english_question_is_translated_by_the_model_into_arabic_search_terms(store) -> None:
    reply = f"Wang Yi said China will keep an independent and fair position [1: «{QUOTE}»]"
    line = "موقف مستقل وعادل ومحادثات السلام"
    question = "Tell me more, please."
    with FakeLLMServer([line, reply]) as server:
        assistant = make(store, server)
        answer = assistant.ask(question)
        first_prompt = str(server.requests[0])
    _, without = retrieve(assistant.index, question, 6)
    assert "Arabic search line" in first_prompt
    assert answer.retrieved[0].chunk.source == "004_86293efd93ced441.txt"
    assert not without or without[0].chunk.source != "004_86293efd93ced441.txt"


def test_a_translation_that_is_not_arabic_is_ignored(store) -> None:
    from assistant.llm import make_llm
    from assistant.llm_chain import translate_query

    with FakeLLMServer(["I cannot help with that."]) as server:
        llm = make_llm(make(store, server).settings)
        assert translate_query(llm, "What did Wang Yi say?") == ""


def test_a_fabricated_quote_is_removed_and_noted_never_shown_as_supported(store) -> None:
    reply = "Wang Yi said China will send troops [1: «الصين سترسل قوات إلى أوكرانيا فوراً»]"
    with FakeLLMServer([SEARCH_LINE, reply]) as server:
        answer = make(store, server).ask("What did Wang Yi say about Ukraine?")
    assert "troops" not in answer.text
    assert answer.citations == ()
    assert answer.notes


def test_a_model_that_abstains_gives_the_honest_answer_in_the_question_language(store) -> None:
    with FakeLLMServer(["NOT_IN_SOURCES"]) as server:
        answer = make(store, server).ask("ماذا قال وانغ يي عن إيران؟")
    assert answer.abstained
    assert answer.language == "ar"
    assert "لا تذكر المقالات" in answer.text


def test_a_follow_up_is_rewritten_by_the_model_before_retrieval(store) -> None:
    rewrite = "What did Lavrov say about security in Eurasia?"
    reply = "Lavrov spoke [1: «اتفقنا أنا وأصدقائي الصينيين على بدء حوار»]"
    with FakeLLMServer([rewrite, "لافروف أمن أوراسيا", reply]) as server:
        answer = make(store, server).ask("And Lavrov?", history=[("What did Wang Yi say?", "...")])
        first_prompt = str(server.requests[0])
    assert "What did Wang Yi say?" in first_prompt
    assert answer.retrieved[0].chunk.source == "001_2a0015d8fffb9b77.txt"


def test_a_failing_server_falls_back_to_quoted_passages_with_a_note(store) -> None:
    with FakeLLMServer(["x"], mode="error") as server:
        answer = make(store, server, timeout=3).ask("What did Wang Yi say about Ukraine?")
    assert answer.citations
    assert any("language model failed" in note for note in answer.notes)
