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
        ("What did Gilberto Pichetto say about Ukraine?", UKRAINE_ARTICLE, ["Gilberto", "Pichetto"]),
        ("What did Gilberto Pichetto say about Ukraine?", UKRAINE_ARTICLE + " بيكيتو", []),  # one word found
        ("What did the Education Minister say about Ukraine?", UKRAINE_ARTICLE, []),  # an attribute of "Minister"
        ("What did Professor Wang Yi say about Ukraine?", UKRAINE_ARTICLE, []),  # a title beside a found name
        ("What did Abdelkarim Benaissa say?", UKRAINE_ARTICLE + " عبد الكريم بن عيسى", []),  # compound parts
        ("What did Abdelkarim Mansouri say?", UKRAINE_ARTICLE, ["Abdelkarim", "Mansouri"]),
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


SCHOOLS_ARTICLE = (
    "وزارة التربية تعمم دروس البرمجة في المدارس الابتدائية\n\n"
    "أعلنت وزارة التربية الوطنية، أمس الثلاثاء، تعميم دروس البرمجة على جميع المدارس الابتدائية ابتداء من "
    "الموسم الدراسي المقبل، بعد تجربة شملت 120 مدرسة خلال العام الماضي.\n\n"
    "وقال وزير التربية الوطنية عبد الكريم بن عيسى، في ندوة صحفية، إن الوزارة ستدرب 9000 معلم على تدريس "
    "البرمجة قبل سبتمبر المقبل، مؤكدا أن \"التلميذ الذي يتعلم البرمجة في العاشرة يفكر بطريقة مختلفة\".\n\n"
    "من جهتها، قالت الباحثة في علوم التربية سعاد المرابط إن نجاح الخطة مرهون بتوفير الحواسيب في المدارس "
    "الريفية، مشيرة إلى أن ثلث المدارس لا تملك قاعة حاسوب.\n"
)


@pytest.fixture(scope="module")
def schools(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An assistant with the real e5 engine (real Chroma in a temp folder) over one article
    whose minister the question names with a title and a compound name ("Education
    Minister Abdelkarim Benaissa"): "Education" is not in the lexicon and has no Arabic
    spelling, "Abdelkarim" and "Benaissa" are written as two words each in the article."""
    from tests.conftest import e5_assistant_over

    return e5_assistant_over(tmp_path_factory.mktemp("schools"), {"schools.txt": SCHOOLS_ARTICLE})


def test_an_english_question_naming_an_official_by_title_and_compound_name_is_answered(schools) -> None:  # type: ignore[no-untyped-def]
    """Before, "Education" (a title word the lexicon lacks) and then "Abdelkarim"/"Benaissa"
    (one Latin word for two Arabic ones) were judged absent name words: refused."""
    answer = schools.ask("What did Education Minister Abdelkarim Benaissa say about training teachers?")
    assert not answer.abstained
    assert "9000" in answer.citations[0].quote


def test_an_english_question_naming_an_official_no_article_mentions_is_still_refused(schools) -> None:  # type: ignore[no-untyped-def]
    answer = schools.ask("What did Health Minister Gilberto Pichetto say about training teachers?")
    assert answer.abstained and answer.citations == ()


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("", [""]),
        ("A", ["A"]),
        ("Abd", ["Abd"]),  # nothing left after the prefix: not split
        ("Bensouda", ["Bensouda", "souda"]),  # the whole word is tried first (بنسودة)
        ("Abderrahmane", ["Abderrahmane", "rahmane"]),
        ("Noureddine", ["Noureddine", "Nour"]),
        ("Elgebaly", ["Elgebaly", "gebaly"]),
        ("Laurent", ["Laurent"]),
    ],
)
def test_an_arabic_compound_name_in_one_latin_word_is_also_checked_by_its_parts(word: str, parts: list[str]) -> None:
    from assistant.retrieval import name_parts

    assert name_parts(word) == parts
