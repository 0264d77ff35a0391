"""A question of two parts answered in two articles is not refused because neither article
covers half of it alone (the abstention check reads two passages of different articles
together, each answering a part); a question one of whose parts no article answers still is.

Two small articles written here are ingested into a real Chroma + BM25 store with the real
splitter, and the assistant answers offline (no LLM).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.extractive import ABSTAIN_COVERAGE, best_coverage
from assistant.multi_article import joint_coverage, question_parts
from assistant.retrieval import analyse_query
from assistant.service import Assistant
from tests.conftest import assistant_over

SFAX = """الاثنين 5 مايو / أيار 2025

بلدية صفاقس تعلن خطة لتوسيع الميناء التجاري

أعلن رئيس بلدية صفاقس كمال الفرجاني، الاثنين، أن البلدية ستبدأ توسيع الميناء التجاري خلال الصيف المقبل بكلفة تبلغ 40 مليون دينار.

وقال الفرجاني إن توسيع الميناء سيضاعف عدد الحاويات التي يستقبلها سنوياً ويوفر نحو ألفي فرصة عمل.
"""
KAIROUAN = """الثلاثاء 6 مايو / أيار 2025

والي القيروان يتفقد أشغال بناء سد وادي زرود

تفقد والي القيروان منير الحامدي، الثلاثاء، أشغال بناء سد وادي زرود الذي سيخزن مياه الأمطار لري الأراضي الزراعية.

وقال الحامدي إن بناء السد سينتهي في ربيع العام المقبل، وإنه سيحمي المدينة من الفيضانات.
"""
BOTH_PARTS = "ماذا قال رئيس بلدية صفاقس عن الميناء، وماذا قال والي القيروان عن موعد انتهاء بناء سد وادي زرود؟"
SECOND_PART_NOWHERE = "ماذا قال رئيس بلدية صفاقس عن توسيع الميناء، وماذا قال وزير الصحة عن اللقاحات الجديدة؟"
ONE_PART = "ماذا قال رئيس بلدية صفاقس عن توسيع الميناء؟"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return assistant_over(tmp_path_factory.mktemp("joint"), {"sfax.txt": SFAX, "kairouan.txt": KAIROUAN})


def coverages(assistant: Assistant, question: str) -> tuple[float, float]:
    """(best single-passage coverage, joint coverage) of ``question`` over the store."""
    analysis, retrieved = assistant._retrieve(question, None, None)
    names = assistant._names()
    return best_coverage(analysis, retrieved, names), joint_coverage(analysis, retrieved, names)


def test_a_two_part_question_answered_in_two_articles_is_answered_from_both(assistant: Assistant) -> None:
    single, joint = coverages(assistant, BOTH_PARTS)
    assert single < ABSTAIN_COVERAGE <= joint  # alone, each article would have been refused
    answer = assistant.ask(BOTH_PARTS)
    assert not answer.abstained
    assert {c.source for c in answer.citations} == {"sfax.txt", "kairouan.txt"}
    assert any("سينتهي" in c.quote for c in answer.citations)


def test_a_two_part_question_whose_second_part_no_article_answers_is_refused(assistant: Assistant) -> None:
    assert coverages(assistant, SECOND_PART_NOWHERE)[1] < ABSTAIN_COVERAGE
    answer = assistant.ask(SECOND_PART_NOWHERE)
    assert answer.abstained and not answer.citations


def test_a_question_of_one_part_has_no_joint_coverage(assistant: Assistant) -> None:
    analysis, _ = assistant._retrieve(ONE_PART, None, None)
    assert question_parts(analysis) == []
    assert coverages(assistant, ONE_PART)[1] == 0.0
    assert not assistant.ask(ONE_PART).abstained


def test_two_copies_of_one_article_never_add_up_to_the_missing_part(tmp_path: Path) -> None:
    """Passages that answer the same part (a re-published article) are not a pair."""
    copies = assistant_over(tmp_path, {"sfax.txt": SFAX, "sfax_copy.txt": SFAX})
    assert coverages(copies, SECOND_PART_NOWHERE)[1] == 0.0
    assert copies.ask(SECOND_PART_NOWHERE).abstained


@pytest.mark.parametrize("question", ["", " ", "\u202e\u200d\u200b", "،", "and"])
def test_a_question_of_nothing_but_marks_has_no_parts_and_no_joint_coverage(
    assistant: Assistant, question: str
) -> None:
    """Found by the fuzz test: invisible marks alone left no segment, and the parts'
    pairing of each segment with the next raised instead of finding none."""
    analysis = analyse_query(question)
    assert question_parts(analysis) == []
    assert joint_coverage(analysis, [], {}) == 0.0
