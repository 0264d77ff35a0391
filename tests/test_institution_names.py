"""An institution named by ordinary words the lexicon half-translates ("World Food
Programme": "world" and "food" translated, "Programme" not) is not taken for an absent
person's name when its translated words stand together in one sentence of the passages;
through the service with the e5 engine over articles written here, beside the twin article
that does not name it and is still refused."""

from __future__ import annotations

import pytest

from assistant import institution_names
from assistant.institution_names import unfound_words
from tests.conftest import e5_assistant_over

WFP = (
    "اليمن يستورد القمح بعد تراجع المحصول\n\n"
    "أعلنت وزارة الزراعة اليمنية، أمس الثلاثاء، أن محصول القمح تراجع هذا العام إلى 80 ألف طن "
    "بسبب الجفاف.\n\n"
    "من جهته، قال ممثل برنامج الغذاء العالمي في اليمن ريتشارد راغان إن تراجع المحصول "
    '"سيزيد الجوع في بلد يعتمد على الاستيراد".\n\n'
    "وقال المزارع علي الحداد إن أرضه لم تنتج شيئا هذا الموسم.\n"
)
# The same story naming no such programme: "العالم" and "الغذاء" in different sentences.
NO_WFP = (
    "اليمن يستورد القمح بعد تراجع المحصول\n\n"
    "أعلنت وزارة الزراعة اليمنية، أمس الثلاثاء، أن محصول القمح تراجع هذا العام إلى 80 ألف طن "
    "بسبب الجفاف، وهو الأدنى في العالم العربي.\n\n"
    "وقال المزارع علي الحداد إن أرضه لم تنتج شيئا هذا الموسم، وإن أسعار الغذاء ارتفعت.\n"
)
QUESTION = "What did the World Food Programme's representative in Yemen say about the poor harvest?"


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return e5_assistant_over(tmp_path_factory.mktemp("wfp"), {"yemen.txt": WFP})


def test_the_programmes_representative_is_quoted(named) -> None:  # type: ignore[no-untyped-def]
    answer = named.ask(QUESTION)
    assert not answer.abstained
    assert "برنامج الغذاء العالمي" in answer.citations[0].quote


def test_without_that_step_the_question_would_be_refused(named, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        institution_names, "unfound_words", lambda question, absent, lexicon_words, texts: absent
    )
    assert named.ask(QUESTION).abstained


def test_an_article_that_does_not_name_the_programme_is_still_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert e5_assistant_over(tmp_path, {"yemen.txt": NO_WFP}).ask(QUESTION).abstained


@pytest.mark.parametrize(
    ("question", "absent", "texts", "left"),
    [
        # two translated words in one sentence: the untranslated head is set aside
        (
            "What did the World Food Programme say?",
            ["Programme"],
            ["قال برنامج الغذاء العالمي إن الوضع صعب."],
            [],
        ),
        # ... not when they are in different sentences
        (
            "What did the World Food Programme say?",
            ["Programme"],
            ["العالم كبير.", "الغذاء غال."],
            ["Programme"],
        ),
        # one translated word is not enough: العالم is in many sentences naming no bank
        ("What did the World Bank say?", ["Bank"], ["قال البنك الدولي إن العالم يتغير."], ["Bank"]),
        # a person's name after no translated word is judged as before
        (
            "What did Gilberto Pichetto say?",
            ["Gilberto", "Pichetto"],
            ["قال الوزير إن الغذاء مهم."],
            ["Gilberto", "Pichetto"],
        ),
        ("What did the World Food Programme say?", [], ["قال برنامج الغذاء العالمي."], []),
    ],
)
def test_an_absent_word_is_set_aside_only_for_a_half_translated_institution_named_in_one_sentence(
    question: str, absent: list[str], texts: list[str], left: list[str]
) -> None:
    assert unfound_words(question, absent, frozenset({"world", "food"}), texts) == left
