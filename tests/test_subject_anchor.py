"""Quotes only from articles about the question's named subject (issue 14: a citation from an
unrelated article is a wrong citation). Articles written here are ingested into a real Chroma
+ BM25 store with the real splitter; the assistant answers offline through
:class:`Assistant` (hashing embedder for Arabic questions naming countries, the bundled e5
engine for an English question naming a field), and once through the CLI. Each behaviour is
checked beside the answer the same question got with the rule taken away, so that the test
shows the rule at work rather than a question the scoring answers anyway."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from assistant import subject_anchor
from assistant.models import Answer
from assistant.retrieval import analyse_query
from assistant.subject_anchor import Anchoring, Subject, _found_or_parts, question_subjects
from tests.conftest import assistant_over, e5_assistant_over
from tests.helpers_articles import BOLIVIA, CHILE, EXPORTERS

SYRIA = "c_syria_wheat.txt"
MOROCCO = "d_morocco_wheat.txt"
COUNTRY_ARTICLES = {
    **EXPORTERS,
    SYRIA: (
        "موسم القمح في سوريا\n\n"
        "بدأ المزارعون في سوريا تسليم محصول القمح إلى مراكز الشراء هذا الأسبوع. "
        "وتدفع الحكومة للمزارعين 450 دولارا لطن القمح هذا الموسم.\n"
    ),
    MOROCCO: (
        "موسم القمح في المغرب\n\n"
        "بدأ المزارعون في المغرب تسليم محصول القمح إلى مراكز الشراء هذا الأسبوع. "
        "وتدفع الحكومة للمزارعين 300 دولار لطن القمح هذا الموسم.\n"
    ),
}
SYRIAN_PRICE = "كم تدفع الحكومة في سوريا للمزارعين لطن القمح؟"
TWO_COUNTRIES = "ما نسبة نمو الصادرات التي ذكرها الخبيران في تشيلي وبوليفيا؟"

OIL = "a_sharara_oil.txt"
WHEAT = "b_wheat_buyers.txt"
FIELD_ARTICLES = {
    OIL: (
        "حقل الشرارة يستأنف الإنتاج\n\n"
        "استأنف حقل الشرارة النفطي في جنوب ليبيا ضخ الخام أمس بعد توقف دام أسبوعين بسبب احتجاجات. "
        "وقالت المؤسسة الوطنية للنفط إن إنتاج الحقل سيعود إلى 300 ألف برميل يوميا خلال أيام.\n"
    ),
    WHEAT: (
        "المزارعون يسلمون محصول القمح\n\n"
        "بدأ المزارعون تسليم محصول القمح إلى مراكز الشراء الحكومية هذا الأسبوع. "
        "ويدفع المشترون سعرا قدره 450 دولارا للطن الواحد من القمح الخام.\n"
    ),
}
SHARARA_PRICE = "What price per tonne are buyers paying for Sharara crude this week?"
SHARARA_OUTPUT = "What will production at the Sharara field reach?"


@contextmanager
def rule_taken_away(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Within the block, every chosen quote is kept (the answer as it was before the rule)."""
    with monkeypatch.context() as patch:
        patch.setattr(
            subject_anchor, "anchor_quotes", lambda analysis, chosen, *rest: Anchoring(list(chosen))
        )
        yield


def sources(answer: Answer) -> list[str]:
    return [c.source for c in answer.citations]


@pytest.fixture(scope="module")
def countries(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return assistant_over(tmp_path_factory.mktemp("anchor_countries"), COUNTRY_ARTICLES)


@pytest.fixture(scope="module")
def fields(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return e5_assistant_over(tmp_path_factory.mktemp("anchor_fields"), FIELD_ARTICLES)


def test_a_quote_from_an_article_about_another_country_is_dropped(countries, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with rule_taken_away(monkeypatch):
        before = countries.ask(SYRIAN_PRICE)
    assert MOROCCO in sources(before)  # the Moroccan price scores as well as the Syrian one
    answer = countries.ask(SYRIAN_PRICE)
    assert not answer.abstained
    assert set(sources(answer)) == {SYRIA}
    assert "450" in " ".join(c.quote for c in answer.citations)


def test_a_question_asking_for_a_list_still_loses_the_article_naming_no_subject(
    countries, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    question = (
        "كم تدفع الحكومة في سوريا للمزارعين لطن القمح في هذه المقالات؟"  # "in these articles"
    )
    with rule_taken_away(monkeypatch):
        assert MOROCCO in sources(countries.ask(question))
    answer = countries.ask(question)
    assert not answer.abstained
    assert set(sources(answer)) == {SYRIA}


def test_a_question_naming_two_subjects_is_still_answered_from_both_articles(countries) -> None:  # type: ignore[no-untyped-def]
    answer = countries.ask(TWO_COUNTRIES)
    assert not answer.abstained
    assert {CHILE, BOLIVIA} <= set(sources(answer))  # each mentions one of the two countries only


def test_only_another_articles_answer_is_refused_naming_the_subject(fields, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with rule_taken_away(monkeypatch):
        before = fields.ask(SHARARA_PRICE)
    assert sources(before) and set(sources(before)) == {WHEAT}  # a wheat price for Sharara crude
    answer = fields.ask(SHARARA_PRICE)
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith("The articles that mention Sharara do not say this")


def test_the_article_that_mentions_the_subject_is_still_quoted(fields) -> None:  # type: ignore[no-untyped-def]
    answer = fields.ask(SHARARA_OUTPUT)
    assert not answer.abstained
    assert set(sources(answer)) == {OIL}


def test_the_cli_quotes_only_the_article_about_the_named_country(countries, cli_runner) -> None:  # type: ignore[no-untyped-def]
    done = cli_runner(countries.settings, "ask", SYRIAN_PRICE, "--json")
    assert done.returncode == 0, done.stderr
    cited = {c["source"] for c in json.loads(done.stdout)["citations"]}
    assert cited == {SYRIA}


@pytest.mark.parametrize(
    ("question", "names"),
    [
        (
            "What did Finance Minister Georges Kazzi say about the law?",
            ["Georges Kazzi"],
        ),  # a title's attribute
        ("Which Kuwaiti power station broke down?", ["Kuwait"]),  # a country, by its adjective
        ("Sharara output: what will it reach?", []),  # the opening word is a sentence start
        ("what will production at sharara reach?", []),  # not capitalised: not written as a name
        ("What did Wang Yi say?", []),  # too short to check by spelling, and a known speaker
        ("كم تدفع سوريا للمزارعين لطن القمح؟", ["سوريا"]),  # Arabic: the countries it names
        ("", []),
    ],
)
def test_the_subjects_of_a_question_are_its_names_and_countries(
    question: str, names: list[str]
) -> None:
    assert [s.name for s in question_subjects(analyse_query(question))] == names


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("وقال وزير الري عثمان حامد إن بلاده تقترح جدولا جديدا.", True),
        ("وقال المزارع حامد العلي إن السعر منخفض، بحسب ما نقل عثمان.", False),  # apart
        ("وقال المزارع حامد العلي إن السعر منخفض.", False),  # one common word
    ],
)
def test_a_name_of_several_words_is_found_only_with_its_words_side_by_side(
    text: str, found: bool
) -> None:
    subject = Subject("Osman Hamed", whole=True)
    assert subject.in_article(text, frozenset, lenient=True) is found
    assert subject.in_article(text, frozenset, lenient=False) is found


def test_a_whole_name_no_article_holds_is_looked_for_by_its_parts() -> None:
    emirati, muzn = Subject("Emirati", frozenset({"امارا"})), Subject("Muzn", frozenset({"مزن"}))
    whole = Subject("Emirati Muzn", whole=True, parts=(emirati, muzn))
    article = "أطلقت الإمارات القمر الصناعي مزن من قاعدة في اليابان."
    assert _found_or_parts([whole], [article]) == [emirati, muzn]
    named = "وقال المهندس إميراتي موزن إن"  # the two words side by side, as spelled
    assert _found_or_parts([whole], [named]) == [whole]
