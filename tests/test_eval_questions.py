"""The committed question set ``eval/questions.jsonl`` is valid and agrees with the articles."""

from __future__ import annotations

from collections import Counter
from functools import cache, lru_cache
from pathlib import Path

import pytest

from assistant.arabic import detect_language, normalize
from eval.qafile import KINDS, Question, load_questions

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUESTION_FILE = PROJECT_ROOT / "eval" / "questions.jsonl"
ARTICLES = PROJECT_ROOT / "data" / "articles"


@lru_cache(maxsize=1)
def questions() -> tuple[Question, ...]:
    return tuple(load_questions(QUESTION_FILE))


@cache
def article(name: str) -> str:
    """Normalised text of one article, as fact matching sees it."""
    return normalize((ARTICLES / name).read_text(encoding="utf-8"))


def answerable() -> list[Question]:
    return [q for q in questions() if q.answerable]


def test_the_set_has_at_least_60_questions_and_8_unanswerable() -> None:
    assert len(questions()) >= 60
    assert sum(not q.answerable for q in questions()) >= 8


def test_roughly_half_the_questions_are_arabic_and_half_english() -> None:
    counts = Counter(q.lang for q in questions())
    assert set(counts) == {"ar", "en"}
    assert abs(counts["ar"] - counts["en"]) <= len(questions()) * 0.1


def test_ids_are_unique() -> None:
    ids = [q.id for q in questions()]
    assert len(ids) == len(set(ids))


def test_every_kind_is_a_known_kind_and_each_kind_is_present() -> None:
    kinds = Counter(q.kind for q in questions())
    assert set(kinds) == set(KINDS)


@pytest.mark.parametrize("q", questions(), ids=lambda q: q.id)
def test_the_lang_field_matches_the_language_of_the_question_text(q: Question) -> None:
    assert detect_language(q.question) == q.lang


def test_unanswerable_questions_have_no_sources_and_no_facts() -> None:
    for q in questions():
        if not q.answerable:
            assert (q.sources, q.facts, q.kind) == ((), (), "unanswerable"), q.id


def test_answerable_questions_have_sources_and_facts() -> None:
    for q in answerable():
        assert q.sources and q.facts, q.id
        assert q.kind != "unanswerable", q.id


def test_multi_article_questions_name_several_sources() -> None:
    for q in questions():
        if q.kind == "multi":
            assert len(q.sources) >= 2, q.id


def test_every_source_file_exists_in_the_articles_folder() -> None:
    for q in questions():
        for source in q.sources:
            assert (ARTICLES / source).is_file(), f"{q.id}: {source}"


@pytest.mark.parametrize("q", answerable(), ids=lambda q: q.id)
def test_each_fact_group_occurs_in_one_of_the_question_sources(q: Question) -> None:
    for group in q.facts:
        found = [s for s in group if any(normalize(s) in article(src) for src in q.sources)]
        assert found, f"{q.id}: no string of {list(group)} occurs in {list(q.sources)}"


@pytest.mark.parametrize("q", answerable(), ids=lambda q: q.id)
def test_each_fact_group_has_an_arabic_string_for_offline_answers(q: Question) -> None:
    for group in q.facts:
        assert any(detect_language(s) == "ar" for s in group), f"{q.id}: {list(group)}"
