"""The held-out question set ``eval/heldout/`` is valid, agrees with its own articles, and
stays outside what the bundled articles and the lexicon were tuned on (issue 13, item 6)."""

from __future__ import annotations

from collections import Counter
from functools import cache, lru_cache
from pathlib import Path

import pytest

from assistant.arabic import detect_language, normalize
from assistant.bridge import load_lexicon
from eval.qafile import KINDS, Question, load_questions

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HELDOUT = PROJECT_ROOT / "eval" / "heldout"
BUNDLED = PROJECT_ROOT / "data" / "articles"


@lru_cache(maxsize=1)
def questions() -> tuple[Question, ...]:
    return tuple(load_questions(HELDOUT / "questions.jsonl"))


@cache
def article(name: str) -> str:
    """Normalised text of one held-out article, as fact matching sees it."""
    return normalize((HELDOUT / "articles" / name).read_text(encoding="utf-8"))


def test_the_set_has_20_questions_half_english_and_some_unanswerable() -> None:
    counts = Counter(q.lang for q in questions())
    assert len(questions()) >= 20
    assert counts["en"] >= len(questions()) / 2 and counts["ar"] >= 3
    assert sum(not q.answerable for q in questions()) >= 3


def test_there_are_at_least_three_arabic_articles_none_of_them_bundled() -> None:
    names = sorted(p.name for p in (HELDOUT / "articles").glob("*.txt"))
    assert len(names) >= 3
    assert all(detect_language(article(n)) == "ar" for n in names)
    assert not set(names) & {p.name for p in BUNDLED.glob("*.txt")}


@pytest.mark.parametrize("q", questions(), ids=lambda q: q.id)
def test_each_question_is_well_formed_for_its_language_and_kind(q: Question) -> None:
    assert detect_language(q.question) == q.lang
    assert q.kind in KINDS
    if q.answerable:
        assert q.sources and q.facts and q.kind != "unanswerable"
    else:
        assert (q.sources, q.facts, q.kind) == ((), (), "unanswerable")


@pytest.mark.parametrize("q", [q for q in questions() if q.answerable], ids=lambda q: q.id)
def test_each_fact_group_occurs_in_the_held_out_source_article(q: Question) -> None:
    for group in q.facts:
        assert any(normalize(s) in article(src) for s in group for src in q.sources), (q.id, group)


def test_the_lexicon_was_not_extended_with_the_held_out_topics() -> None:
    lexicon = load_lexicon()
    known = {" ".join(key) for key in lexicon.exact}
    # Words only these articles' questions need: adding them would fit the lexicon to the test.
    for word in ("solar", "publishers", "drought", "olive", "sunset", "batteries", "irrigation"):
        assert word not in known, word
