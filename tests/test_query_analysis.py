"""The question is analysed once (issue 13, item 5): one analysis object made at the entry of
``Assistant.ask`` that every later stage reads.

Real components: the session index of the bundled articles (Chroma + BM25, hashing vectors)
and the real :class:`Assistant`. The language detector and the embedder are wrapped only to
count how often they run; what they return is unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from assistant import arabic, bridge, llm_chain, retrieval, service, speakers
from assistant.extractive import ABSTAIN, INTRO
from assistant.retrieval import analyse_query
from assistant.service import Assistant
from assistant.settings import Settings

WANG_UKRAINE = {"en": "What did Wang Yi say about Ukraine?", "ar": "ماذا قال وانغ يي عن أوكرانيا؟"}
DETECTING_MODULES = (service, retrieval, speakers, bridge, llm_chain)


@pytest.fixture
def counted_detections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text whose language any stage of the question's path detects."""
    seen: list[str] = []

    def counting(text: str) -> str:
        seen.append(text)
        return arabic.detect_language(text)

    for module in DETECTING_MODULES:
        monkeypatch.setattr(module, "detect_language", counting)
    return seen


@pytest.fixture
def counted_embeddings(shared_index: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the index's embedder embeds as a query."""
    seen: list[str] = []
    real = shared_index.embedder.embed_query

    def counting(text: str) -> list[float]:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(shared_index.embedder, "embed_query", counting)
    return seen


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_question_has_its_language_detected_once_on_its_way_through_ask(
    shared_settings: Settings, shared_index: Any, counted_detections: list[str], language: str
) -> None:
    answer = Assistant(shared_settings, shared_index).ask(WANG_UKRAINE[language])
    assert answer.language == language
    assert counted_detections == [WANG_UKRAINE[language]]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_question_is_embedded_once_on_its_way_through_ask(
    shared_settings: Settings, shared_index: Any, counted_embeddings: list[str], language: str
) -> None:
    Assistant(shared_settings, shared_index).ask(WANG_UKRAINE[language])
    assert len(counted_embeddings) == 1


def test_the_analysis_keeps_its_dense_vector_so_a_second_search_reuses_it(
    shared_index: Any, counted_embeddings: list[str]
) -> None:
    analysis = analyse_query(WANG_UKRAINE["ar"])
    first = retrieval.search(shared_index, analysis, 6)
    second = retrieval.search(shared_index, analysis, 6)
    assert [r.chunk.chunk_id for r in first] == [r.chunk.chunk_id for r in second]
    assert counted_embeddings == [WANG_UKRAINE["ar"]]


def test_an_english_follow_up_to_an_arabic_question_is_answered_in_english(
    shared_settings: Settings, shared_index: Any
) -> None:
    history = [(WANG_UKRAINE["ar"], "…")]
    answer = Assistant(shared_settings, shared_index).ask("And Lavrov?", history)
    assert answer.language == "en"
    assert answer.text.startswith(INTRO["en"]) or answer.text == ABSTAIN["en"]


def test_the_reply_language_defaults_to_the_language_of_the_searched_text() -> None:
    analysis = analyse_query(WANG_UKRAINE["ar"])
    assert (analysis.language, analysis.reply_language) == ("ar", "ar")
    joined = analyse_query(f"And Lavrov? ({WANG_UKRAINE['ar']})", reply_language="en")
    assert (joined.language, joined.reply_language) == ("ar", "en")


def test_a_translation_function_is_called_only_for_an_english_question() -> None:
    asked: list[str] = []

    def translate(text: str) -> str:
        asked.append(text)
        return "موقف مستقل"

    english = analyse_query(WANG_UKRAINE["en"], translation=translate)
    analyse_query(WANG_UKRAINE["ar"], translation=translate)
    assert asked == [WANG_UKRAINE["en"]]
    assert "موقف مستقل" in english.arabic_text
