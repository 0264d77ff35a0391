"""Offline extractive summaries: one article, several, all, a topic across them, and
summary requests routed from the chat. Every summary sentence is a verbatim, cited quote.

Runs on the session index of the five bundled articles (read only) with no LLM.
"""

from __future__ import annotations

import pytest

from assistant.errors import UserError
from assistant.models import Answer
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.summaries import SUMMARY_INTRO, is_summary_request, summary_topic
from tests.conftest import ARTICLE_NAMES

FILE_000, FILE_001, FILE_002, FILE_003, FILE_004 = ARTICLE_NAMES


@pytest.fixture(scope="module")
def assistant(shared_settings: Settings, shared_index) -> Assistant:  # type: ignore[no-untyped-def]
    return Assistant(shared_settings, shared_index, llm=None)


def assert_quotes_are_verbatim(assistant: Assistant, answer: Answer) -> None:
    assert answer.citations, answer.text
    for c in answer.citations:
        original = (assistant.settings.data_dir / c.source).read_text(encoding="utf-8")
        assert original[c.start : c.end] == c.quote, (c.source, c.start, c.end)


def starts_by_file(answer: Answer) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for c in answer.citations:
        found.setdefault(c.source, []).append(c.start)
    return found


def intro_prefix(language: str) -> str:
    return SUMMARY_INTRO[language].split("{")[0]


def test_the_bundled_articles_are_the_five_the_tests_expect() -> None:
    assert len(ARTICLE_NAMES) == 5
    assert FILE_001.startswith("001_") and FILE_004.startswith("004_")


@pytest.mark.parametrize("source", ARTICLE_NAMES)
def test_a_one_article_summary_quotes_only_that_article_in_reading_order(
    assistant: Assistant, source: str
) -> None:
    answer = assistant.summarize(sources=[source])
    starts = [c.start for c in answer.citations]
    assert {c.source for c in answer.citations} == {source}
    assert 2 <= len(starts) <= 6
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert answer.text.startswith(intro_prefix("en"))
    assert source in answer.text.splitlines()[0]
    assert not answer.abstained


def test_a_two_article_summary_covers_both_each_in_reading_order(assistant: Assistant) -> None:
    answer = assistant.summarize(sources=[FILE_002, FILE_000])
    by_file = starts_by_file(answer)
    assert set(by_file) == {FILE_000, FILE_002}
    assert all(starts == sorted(starts) for starts in by_file.values())
    sources = [c.source for c in answer.citations]
    assert sources == sorted(sources, key=sources.index), "a file's quotes must stay together"
    assert f"({FILE_000})" in answer.text and f"({FILE_002})" in answer.text


def test_a_summary_of_everything_covers_all_five_articles(assistant: Assistant) -> None:
    answer = assistant.summarize()
    assert set(starts_by_file(answer)) == set(ARTICLE_NAMES)


@pytest.mark.parametrize(("topic", "language"), [("Eurasia security", "en"), ("أمن أوراسيا", "ar")])
def test_a_topic_summary_starts_with_the_article_most_about_the_topic(
    assistant: Assistant, topic: str, language: str
) -> None:
    answer = assistant.summarize(topic=topic)
    assert answer.citations[0].source == FILE_001
    assert answer.language == language
    assert answer.text.startswith(intro_prefix(language))
    assert answer.retrieved and answer.retrieved[0].chunk.source == FILE_001


def test_a_topic_summary_keeps_to_the_requested_sources_most_relevant_first(
    assistant: Assistant,
) -> None:
    answer = assistant.summarize(sources=[FILE_000, FILE_001], topic="Eurasia security")
    sources = [c.source for c in answer.citations]
    assert set(sources) <= {FILE_000, FILE_001}
    assert sources[0] == FILE_001


def test_a_topic_summary_leaves_out_articles_that_only_touch_the_topic() -> None:
    """000 mentions peace in Eurasia in passing; 001 is about Eurasian security."""
    from assistant.models import Chunk, Retrieved
    from assistant.retrieval import QueryAnalysis
    from assistant.service import topic_sources

    def item(source: str, text: str) -> Retrieved:
        return Retrieved(Chunk(source + text[:3], source, text, 0, len(text)), 0.03)

    analysis = QueryAnalysis("أمن أوراسيا", "ar", "أمن أوراسيا", ["امن", "اوراسي"])
    analysis.slots = [frozenset({"امن"}), frozenset({"اوراسي"})]
    retrieved = [item(FILE_000, "السلام في أوراسيا"), item(FILE_001, "بدء حوار بشأن الأمن في منطقة أوراسيا")]
    assert topic_sources(analysis, retrieved, {}) == [FILE_001]


def test_a_topic_that_none_of_the_requested_articles_is_about_is_refused(
    assistant: Assistant,
) -> None:
    with pytest.raises(UserError, match="Nothing to summarise"):
        assistant.summarize(sources=[FILE_004], topic="Eurasia security")


@pytest.mark.parametrize("unknown", ["missing.txt", "../001_2a0015d8fffb9b77.txt"])
def test_summarising_a_file_that_is_not_indexed_is_refused_naming_it(
    assistant: Assistant, unknown: str
) -> None:
    with pytest.raises(UserError) as caught:
        assistant.summarize(sources=[FILE_001, unknown])
    message = str(caught.value)
    assert message.startswith(f"Not in the index: {unknown}.")
    assert "\n" not in message


@pytest.mark.parametrize(
    "request_kwargs",
    [
        pytest.param({"sources": [FILE_003]}, id="one"),
        pytest.param({"sources": [FILE_001, FILE_004]}, id="two"),
        pytest.param({}, id="all"),
        pytest.param({"topic": "أمن أوراسيا"}, id="topic"),
    ],
)
def test_every_summary_quote_is_the_exact_text_at_its_offsets(
    assistant: Assistant, request_kwargs: dict
) -> None:
    answer = assistant.summarize(**request_kwargs)
    assert_quotes_are_verbatim(assistant, answer)
    numbered = [line for line in answer.text.splitlines() if line.startswith("- «")]
    assert numbered == [f"- «{c.quote}» [{n}]" for n, c in enumerate(answer.citations, 1)]


def test_asking_for_a_summary_of_the_phone_call_routes_to_a_summary_of_004(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("Summarise the phone call between Wang Yi and Lavrov")
    assert answer.text.startswith(intro_prefix("en"))
    assert answer.citations[0].source == FILE_004
    assert_quotes_are_verbatim(assistant, answer)


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("لخص ما قاله لافروف عن أوراسيا", "ما قاله لافروف عن أوراسيا"),
        ("Summarize: the Tashkent meeting.", "the Tashkent meeting"),
        ("please summarise the phone call", "the phone call"),
        ("Give me a summary of the talks", "the talks"),
    ],
)
def test_a_summary_request_is_recognised_and_its_topic_extracted(message: str, topic: str) -> None:
    assert is_summary_request(message)
    assert summary_topic(message) == topic


@pytest.mark.parametrize(
    "message",
    ["What is the summary of the talks?", "ماذا قال لافروف في ملخص حديثه؟", "Summer in Beijing"],
)
def test_a_question_that_merely_mentions_a_summary_is_not_routed_to_one(message: str) -> None:
    assert not is_summary_request(message)
