"""The English stress set (``eval/stress_en/``) is valid and stays a diagnosis set (issue 13).

It was written to find why English questions over Arabic articles are refused when the
articles answer them: everyday English, synonyms, officials named with titles and
Latin spellings, over the development sets' articles (its ``articles/`` folder links to
them, so the index holds all of them at once). These tests only read it: every question is
English and well formed, every fact is in one of its source articles, every article is a
development-set article (never the sealed set's), and the lexicon has not learnt its words.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assistant.arabic import detect_language
from assistant.bridge import load_lexicon
from eval.qafile import KINDS, load_questions

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
STRESS = EVAL_DIR / "stress_en"
DEVELOPMENT_SETS = ("heldout", "calibration", "heldout2", "heldout3")
# Words only this set's questions use (checked absent from the lexicon when it was written).
GUARD_WORDS = ("khat", "tanker", "egyptologist", "coffins", "sorghum", "consortia", "haul", "shaft")
QUESTIONS = load_questions(STRESS / "questions.jsonl")


def test_the_stress_set_has_many_answerable_and_some_unanswerable_english_questions() -> None:
    answerable = Counter(q.answerable for q in QUESTIONS)
    assert answerable[True] >= 100 and answerable[False] >= 20
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)


def test_its_articles_are_exactly_the_development_sets_articles_and_never_the_sealed_ones() -> None:
    linked = {p.name: p.resolve() for p in (STRESS / "articles").glob("*.txt")}
    development = {
        p.name: p.resolve()
        for s in DEVELOPMENT_SETS
        for p in (EVAL_DIR / s / "articles").glob("*.txt")
    }
    assert linked == development
    sets_linked = {path.relative_to(EVAL_DIR).parts[0] for path in linked.values()}
    assert not sets_linked & {"heldout4", "heldout5", "heldout6"}


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.id)
def test_each_question_is_english_well_formed_and_its_facts_are_in_its_sources(q) -> None:  # type: ignore[no-untyped-def]
    assert q.lang == "en" and detect_language(q.question) == "en" and q.kind in KINDS
    if not q.answerable:
        assert (q.sources, q.facts, q.kind) == ((), (), "unanswerable")
        return
    texts = [(STRESS / "articles" / source).read_text(encoding="utf-8") for source in q.sources]
    assert q.facts and (len(q.sources) >= 2) == (q.kind == "multi")
    for alternatives in q.facts:
        assert any(a in text for a in alternatives for text in texts), alternatives


def test_the_lexicon_has_not_learnt_the_stress_sets_words() -> None:
    lexicon = load_lexicon()
    assert not [w for w in GUARD_WORDS if lexicon.lookup((w,)) is not None]
