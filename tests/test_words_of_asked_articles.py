"""A title stands for the person a "what did X say" question names only in the article that
names X (``answer_checks.words_of_asked``): "وقال الرئيس التنفيذي للشركة" in an article about a
refinery is the refinery's chief, not the festival's chief executive Khaled al-Mutairi whom
another article introduces. Checked through the service over two planted articles (real
Chroma; hashing for Arabic, the bundled e5 engine for English) and through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import answer_checks, subject_anchor
from tests.conftest import assistant_over, e5_assistant_over, offline_settings

FESTIVAL = (
    "مهرجان الرياض السينمائي يختتم دورته الخامسة\n\n"
    "اختتم مهرجان الرياض السينمائي دورته الخامسة أمس بعرض 90 فيلما من 30 دولة. "
    "وقال الرئيس التنفيذي للمهرجان خالد المطيري إن عدد التذاكر المباعة تجاوز 50 ألف تذكرة.\n"
)
REFINERY = (
    "شركة النفط الوطنية تفتتح مصفاة جديدة في الزور\n\n"
    "افتتحت شركة النفط الوطنية أمس مصفاة جديدة في ميناء الزور بطاقة 200 ألف برميل يوميا. "
    "وقال الرئيس التنفيذي للشركة إن المصفاة ستخفض واردات البنزين بنسبة 30 في المئة خلال عامين.\n"
)
ARTICLES = {"001_festival.txt": FESTIVAL, "002_refinery.txt": REFINERY}
# Petrol imports are the refinery chief's words; al-Mutairi spoke only of tickets.
ASKED_AR = "ماذا قال خالد المطيري عن واردات البنزين؟"
ASKED_EN = "What did Khaled al-Mutairi say about petrol imports?"


@pytest.fixture(scope="module")
def two_chiefs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return assistant_over(tmp_path_factory.mktemp("chiefs"), ARTICLES)


@pytest.fixture(scope="module")
def two_chiefs_e5(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return e5_assistant_over(tmp_path_factory.mktemp("chiefs_e5"), ARTICLES)


def _every_title_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check as it was: every retrieved article counts as one that names X."""
    monkeypatch.setattr(
        answer_checks,
        "_introducing",
        lambda name, english, candidates, article_text: {s.chunk.source for s in candidates},
    )


def test_arabic_the_other_articles_chief_is_not_quoted_as_the_asked_person(two_chiefs) -> None:  # type: ignore[no-untyped-def]
    answer = two_chiefs.ask(ASKED_AR)
    assert not answer.abstained
    assert [c.source for c in answer.citations] == ["001_festival.txt"]
    assert "خالد المطيري" in answer.citations[0].quote


def test_arabic_without_the_article_check_the_refinery_chief_would_be_quoted(
    two_chiefs, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _every_title_counts(monkeypatch)
    assert "002_refinery.txt" in [c.source for c in two_chiefs.ask(ASKED_AR).citations]


def test_english_the_other_articles_chief_is_not_quoted_as_the_asked_person(two_chiefs_e5) -> None:  # type: ignore[no-untyped-def]
    answer = two_chiefs_e5.ask(ASKED_EN)
    assert not answer.abstained
    assert [c.source for c in answer.citations] == ["001_festival.txt"]


def test_english_without_the_article_check_the_refinery_chief_would_be_quoted(
    two_chiefs_e5, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _every_title_counts(monkeypatch)
    # Subject anchoring (assistant.subject_anchor) would also drop the refinery's quote, as
    # its article never names Khaled al-Mutairi: taken away here, so that this test shows
    # what the article check alone guards against.
    monkeypatch.setattr(
        subject_anchor,
        "anchor_quotes",
        lambda analysis, chosen, retrieved, article_text, mentioned: subject_anchor.Anchoring(list(chosen)),
    )
    assert [c.source for c in two_chiefs_e5.ask(ASKED_EN).citations] == ["002_refinery.txt"]


def test_the_asked_persons_own_words_on_the_topic_are_still_quoted(two_chiefs) -> None:  # type: ignore[no-untyped-def]
    answer = two_chiefs.ask("ماذا قال خالد المطيري عن عدد التذاكر المباعة؟")
    assert [c.source for c in answer.citations] == ["001_festival.txt"]


def test_every_quote_of_the_article_that_names_the_person_stays_its_title_sentence_too(
    tmp_path: Path,
) -> None:
    """Where X was introduced, "قال المدير" is still Jaber's words and stays quoted."""
    clinic = (
        "افتتاح عيادة جديدة في صلالة\n\n"
        "افتتحت وزارة الصحة عيادة جديدة في صلالة أمس. "
        "وقال مدير العيادة سالم جابر إن العيادة ستستقبل 200 مريض يوميا.\n\n"
        "وفي سياق آخر، قال المدير إن أجهزة الأشعة الحديثة ستصل إلى العيادة في مارس المقبل.\n"
    )
    assistant = assistant_over(tmp_path, {"001_clinic.txt": clinic, "002_refinery.txt": REFINERY})
    answer = assistant.ask("ماذا قال سالم جابر عن أجهزة الأشعة الحديثة؟")
    assert not answer.abstained
    assert any("أجهزة الأشعة" in c.quote for c in answer.citations)
    assert {c.source for c in answer.citations} == {"001_clinic.txt"}


def test_the_cli_quotes_the_asked_person_not_the_other_articles_chief(
    tmp_path: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "chiefs"
    root.mkdir()
    assistant_over(root, ARTICLES)  # writes and indexes the articles under root
    settings = offline_settings(root / "articles", root / "store")
    done = run_cli("ask", ASKED_AR, settings=settings)
    assert done.returncode == 0, done.stderr
    assert "خالد المطيري" in done.stdout
    assert "المصفاة" not in done.stdout
