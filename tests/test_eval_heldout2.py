"""The sealed held-out set ``eval/heldout2/`` is valid, agrees with its own articles, and
stays outside what anything was tuned on (issue 13).

``eval/heldout/`` became a calibration set once engineers diagnosed on it; ``eval/heldout2/``
is the final check nobody tunes on. These tests only check that the set is well made (files,
ids, languages, kinds, every fact present in its article) and that the lexicon was not fitted
to it; they never run the assistant on it.
"""

from __future__ import annotations

from collections import Counter
from functools import cache, lru_cache
from pathlib import Path

import pytest

from assistant.arabic import detect_language, normalize
from assistant.bridge import load_lexicon
from eval.qafile import KINDS, Question, load_questions

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEALED = PROJECT_ROOT / "eval" / "heldout2"
OTHER_ARTICLE_FOLDERS = (
    PROJECT_ROOT / "data" / "articles",
    PROJECT_ROOT / "eval" / "heldout" / "articles",
)

# Words only the sealed set's questions and articles need. Finding one of them in the lexicon
# means it was fitted to the sealed set, which then no longer measures generalisation.
SEALED_ENGLISH_WORDS = (
    "aircraft",
    "airbus",
    "locust",
    "locusts",
    "swarms",
    "spraying",
    "desalination",
    "desalinated",
    "depositors",
    "withdrawal",
    "withdrawals",
    "reservoirs",
    "hectares",
    "consortium",
)
SEALED_ARABIC_WORDS = (
    "الجراد",
    "أسراب",
    "تحلية",
    "المحلاة",
    "السحوبات",
    "المودعين",
    "الأهوار",
    "الخزين",
)


@lru_cache(maxsize=1)
def questions() -> tuple[Question, ...]:
    return tuple(load_questions(SEALED / "questions.jsonl"))


@cache
def article(name: str) -> str:
    """Normalised text of one sealed article, as fact matching sees it."""
    return normalize((SEALED / "articles" / name).read_text(encoding="utf-8"))


@cache
def article_lines(name: str) -> tuple[str, ...]:
    """Non-blank lines of one sealed article as written: dateline, headline, paragraphs."""
    text = (SEALED / "articles" / name).read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line.strip())


def article_names() -> list[str]:
    return sorted(p.name for p in (SEALED / "articles").glob("*.txt"))


def test_the_set_has_28_questions_mostly_english_with_eight_unanswerable_in_both_languages() -> (
    None
):
    langs = Counter(q.lang for q in questions())
    unanswerable = Counter(q.lang for q in questions() if not q.answerable)
    assert len(questions()) >= 28
    assert langs["en"] >= 16 and langs["ar"] >= 6
    assert sum(unanswerable.values()) >= 8 and unanswerable["en"] >= 2 and unanswerable["ar"] >= 2


def test_the_set_asks_facts_speakers_and_questions_across_two_articles() -> None:
    kinds = Counter(q.kind for q in questions())
    assert kinds["fact"] >= 5 and kinds["speaker"] >= 5 and kinds["multi"] >= 2


def test_there_are_at_least_four_arabic_articles_with_a_dateline_and_a_headline() -> None:
    names = article_names()
    assert len(names) >= 4
    for name in names:
        lines = article_lines(name)
        assert detect_language(article(name)) == "ar", name
        assert any(ch.isdigit() for ch in lines[0]) and len(lines[0].split()) <= 8, name  # dateline
        assert len(lines) >= 5 and 200 <= len(article(name).split()) <= 500, name


def test_no_sealed_article_repeats_a_bundled_or_held_out_article() -> None:
    others = {
        p.name: normalize(p.read_text(encoding="utf-8"))
        for d in OTHER_ARTICLE_FOLDERS
        for p in d.glob("*.txt")
    }
    assert not set(article_names()) & set(others)
    for name in article_names():
        headline = normalize(article_lines(name)[1])
        assert not any(headline in text for text in others.values()), name


def test_question_ids_are_unique_and_every_source_is_a_sealed_article() -> None:
    ids = [q.id for q in questions()]
    assert len(ids) == len(set(ids))
    assert {src for q in questions() for src in q.sources} <= set(article_names())
    # every article is asked about, so none is there only as a distractor by accident
    assert {src for q in questions() for src in q.sources} == set(article_names())


@pytest.mark.parametrize("q", questions(), ids=lambda q: q.id)
def test_each_question_is_well_formed_for_its_language_and_kind(q: Question) -> None:
    assert detect_language(q.question) == q.lang
    assert q.kind in KINDS
    if q.answerable:
        assert q.sources and q.facts and q.kind != "unanswerable"
        assert (len(q.sources) >= 2) == (q.kind == "multi")
    else:
        assert (q.sources, q.facts, q.kind) == ((), (), "unanswerable")


@pytest.mark.parametrize("q", [q for q in questions() if q.answerable], ids=lambda q: q.id)
def test_each_fact_group_occurs_in_one_of_the_question_sources(q: Question) -> None:
    for group in q.facts:
        assert any(normalize(s) in article(src) for s in group for src in q.sources), (q.id, group)


@pytest.mark.parametrize("q", [q for q in questions() if q.kind == "multi"], ids=lambda q: q.id)
def test_every_source_of_a_multi_article_question_holds_one_of_its_facts(q: Question) -> None:
    for src in q.sources:
        assert any(normalize(s) in article(src) for group in q.facts for s in group), (q.id, src)


def test_the_lexicon_was_not_extended_with_the_sealed_sets_words() -> None:
    lexicon = load_lexicon()
    fitted = [word for word in SEALED_ENGLISH_WORDS if lexicon.lookup((word,)) is not None]
    arabic_forms = {normalize(form) for entry in lexicon.entries for form in entry.arabic}
    fitted += [word for word in SEALED_ARABIC_WORDS if normalize(word) in arabic_forms]
    assert not fitted, f"lexicon entries fitted to the sealed set eval/heldout2: {fitted}"


def test_the_sealed_guard_words_really_belong_to_the_sealed_set() -> None:
    """The guard above can fail: every word it looks for is in a sealed question or article."""
    text = normalize(
        " ".join(q.question for q in questions()) + " " + " ".join(map(article, article_names()))
    )
    english = " ".join(
        [q.question for q in questions()] + [s for q in questions() for g in q.facts for s in g]
    ).lower()
    assert all(word.rstrip("s") in english for word in SEALED_ENGLISH_WORDS)
    assert all(normalize(word) in text for word in SEALED_ARABIC_WORDS)
