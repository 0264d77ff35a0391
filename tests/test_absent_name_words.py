"""Refusing an English question whose multi-word proper name the articles never mention
(issue 13): the capitalised runs of a question, the words of them no spelling in the index
finds, and the service refusing such a question over articles written here while answering
a close question whose names are all in them."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.arabic import words
from assistant.bridge import SkeletonIndex
from assistant.retrieval import absent_name_words, analyse_query, capitalised_runs
from tests.conftest import assistant_over

UKRAINE_ARTICLE = (
    "وانغ يي يبحث الأزمة في أوكرانيا\n\n"
    "قال وزير الخارجية الصيني وانغ يي إن بلاده تدعم حلا سياسيا للأزمة في أوكرانيا عبر الحوار. "
    "وأضاف أن الصين مستعدة لمواصلة دورها البناء من أجل السلام في أوكرانيا. "
    "ويراقب العالم الأزمة في أوكرانيا.\n\n"  # "World" and "Ukraine" are here: only "Bank" is not
    "وجاءت تصريحات وانغ يي خلال مؤتمر صحفي في بكين حضره عدد من الصحفيين الأجانب.\n"
)
GRAIN_ARTICLE = (
    "صادرات الحبوب من أوكرانيا\n\n"
    "ارتفعت صادرات الحبوب من أوكرانيا عبر البحر الأسود هذا الأسبوع بعد أشهر من التراجع. "
    "وقالت شركات الشحن إن أسعار الحبوب استقرت في موانئ البلاد.\n"
)
BANK_SENTENCE = "وقال البنك الدولي إن اقتصاد أوكرانيا يحتاج إلى دعم كبير لإعادة الإعمار."
WORLD_BANK_QUESTION = "What did the World Bank say about Ukraine?"
WANG_QUESTION = "What did Wang Yi say about Ukraine?"


@pytest.mark.parametrize(
    ("question", "runs"),
    [
        ("", []),
        ("W", []),
        ("What did the World Bank say?", [["World", "Bank"]]),
        ("What did the world bank say?", []),  # no capitals: not judged a name
        ("Wang Yi said what?", []),  # the first word is capitalised as any sentence start
        ("What did Morocco's King Mohammed say?", [["King", "Mohammed"]]),  # "'s" ends a name
        ("What did Hassan Rais's team say in May 2024?", [["Hassan", "Rais"]]),
        ("What did the Shanghai Cooperation Organisation decide?", [["Shanghai", "Cooperation", "Organisation"]]),
        ("When did Wang Yi meet Sergey Lavrov?", [["Wang", "Yi"], ["Sergey", "Lavrov"]]),
        ("ماذا قال World Bank عن أوكرانيا؟", [["World", "Bank"]]),  # mixed scripts
        ("What Did They Say?", []),  # question words never make a name
    ],
)
def test_the_capitalised_runs_of_a_question_are_its_multi_word_names(question: str, runs: list[list[str]]) -> None:
    assert capitalised_runs(question) == runs


def vocabulary(text: str) -> SkeletonIndex:
    return SkeletonIndex(set(words(text)))


@pytest.mark.parametrize(
    ("question", "corpus", "absent"),
    [
        (WORLD_BANK_QUESTION, UKRAINE_ARTICLE, ["Bank"]),  # no بنك in any form
        (WORLD_BANK_QUESTION, UKRAINE_ARTICLE + BANK_SENTENCE, []),  # البنك is there
        ("What did the Ukraine Bank say?", UKRAINE_ARTICLE + "البنوك", []),  # another form: found
        ("What did Hassan Rais say about Ukraine?", UKRAINE_ARTICLE, []),  # رس: too short to judge
        ("What did the bank say about Ukraine?", UKRAINE_ARTICLE, []),  # not a proper name
        ("What did the Bank say about Ukraine?", UKRAINE_ARTICLE, []),  # one capitalised word
        (WANG_QUESTION, UKRAINE_ARTICLE, []),  # the lexicon translates the whole name
    ],
)
def test_a_word_of_a_name_no_spelling_in_the_index_matches_is_absent(
    question: str, corpus: str, absent: list[str]
) -> None:
    assert absent_name_words(analyse_query(question), vocabulary(corpus)) == absent


def test_an_arabic_question_has_no_absent_name_words() -> None:
    assert absent_name_words(analyse_query("ماذا قال البنك الدولي عن أوكرانيا؟"), vocabulary(UKRAINE_ARTICLE)) == []


def test_a_question_about_a_name_no_article_mentions_is_refused_and_a_close_one_answered(tmp_path: Path) -> None:
    """Without the rule the World Bank question is answered: العالم and أوكرانيا fill enough."""
    assistant = assistant_over(tmp_path, {"001_ukraine.txt": UKRAINE_ARTICLE, "002_grain.txt": GRAIN_ARTICLE})
    refused = assistant.ask(WORLD_BANK_QUESTION)
    assert refused.abstained and refused.citations == ()
    answered = assistant.ask(WANG_QUESTION)
    assert not answered.abstained
    assert answered.citations[0].source == "001_ukraine.txt"


def test_the_same_question_is_not_refused_for_its_name_once_an_article_mentions_it(tmp_path: Path) -> None:
    articles = {"001_ukraine.txt": UKRAINE_ARTICLE + BANK_SENTENCE + "\n", "002_grain.txt": GRAIN_ARTICLE}
    assistant = assistant_over(tmp_path, articles)
    analysis, _ = assistant._retrieve(WORLD_BANK_QUESTION)
    assert analysis.absent_words == []
    assert not assistant.ask(WORLD_BANK_QUESTION).abstained
