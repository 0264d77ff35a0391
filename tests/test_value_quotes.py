"""Quoting the sentence that carries the value an English question asks for (a price, a
place's share, a company's name) when the best-scored sentence shares only the question's
setting, and still refusing when the articles do not give it: through the service and the
CLI, with the bundled e5 engine (the model's sentence ranking decides what is on the
subject), over articles written here."""

from __future__ import annotations

import pytest

from assistant import value_quotes
from assistant.answer_kinds import asked_value, carries_value
from assistant.extractive import UNMENTIONED, UNPLACED, UNPRICED
from tests.conftest import e5_assistant_over

PORT = (
    "ميناء صلالة يفتتح رصيفًا ثالثًا للحاويات\n\n"
    'افتتحت شركة "موانئ ظفار"، أمس الأحد، رصيف الحاويات الثالث في ميناء صلالة جنوب عمان، في '
    "توسعة بلغت كلفتها نحو 900 مليون دولار، وترفع طاقة الميناء إلى ستة ملايين حاوية سنويًا.\n\n"
    "وقال الرئيس التنفيذي للشركة أحمد العامري، في كلمة خلال الافتتاح، إن الرصيف الجديد "
    '"يجعل ميناء صلالة قادرًا على استقبال أكبر السفن في العالم"، موضحًا أن عمق المياه عند '
    "الرصيف يبلغ 18 مترًا.\n\n"
    'وتتولى تشغيل الرصيف شركة "ساوث بورتس" بموجب عقد امتياز مدته 30 عامًا، فيما نفذت أعمال '
    "البناء شركة مقاولات محلية. ومن المقرر أن يستقبل الرصيف أول سفينة في مارس المقبل.\n\n"
    "ويعد ميناء صلالة، الذي افتتح عام 1998، أكبر ميناء في جنوب عمان، ويشكل جزءًا من خطة "
    "حكومية لتنويع الاقتصاد.\n"
)
# The same article naming no company (the model would quote another company's name as on the
# subject: which company does what is beyond this check) and giving no price.
PORT_TWIN = (
    PORT.replace('افتتحت شركة "موانئ ظفار"', "افتتحت الحكومة العمانية")
    .replace("في توسعة بلغت كلفتها نحو 900 مليون دولار، ", "في توسعة جديدة، ")
    .replace('شركة "ساوث بورتس"', "إدارة الميناء")
    .replace("شركة مقاولات محلية", "عمال محليون")
)
HOMES = (
    "المغرب يعيد بناء القرى بعد الزلزال\n\n"
    "قدمت اللجنة الوزارية المكلفة بإعادة الإعمار، أمس الأربعاء، تقريرها السنوي أمام البرلمان، "
    "وأعلنت إعادة بناء 30 ألف منزل في المناطق المتضررة.\n\n"
    "وأوضحت الوزيرة سلمى بنعلي أن إقليم تارودانت وحده يضم 48 في المئة من المنازل التي أعيد "
    "بناؤها، يليه إقليم شيشاوة.\n\n"
    "وقال الفلاح محمد أيت علي إن منزله الجديد أصغر من القديم لكنه أكثر أمانًا.\n"
)
OPERATOR = "Which company will run the new berth at Salalah port?"
PRICE = "How much did the third container berth at Salalah port cost?"


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An e5 assistant over the port article and the homes article."""
    return e5_assistant_over(
        tmp_path_factory.mktemp("port"), {"port.txt": PORT, "homes.txt": HOMES}
    )


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An e5 assistant over the port article without its price and operator, and the homes article."""
    return e5_assistant_over(
        tmp_path_factory.mktemp("twin"), {"port.txt": PORT_TWIN, "homes.txt": HOMES}
    )


def test_the_operators_sentence_is_quoted_for_which_company_runs_it(port) -> None:  # type: ignore[no-untyped-def]
    answer = port.ask(OPERATOR)
    assert not answer.abstained
    assert "ساوث بورتس" in answer.citations[0].quote


def test_without_that_step_the_company_question_would_be_refused(port, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        value_quotes, "with_asked_value", lambda question, chosen, sentences, retrieved: chosen
    )
    answer = port.ask(OPERATOR)
    assert answer.abstained and answer.text == UNMENTIONED["en"]


def test_the_price_sentence_is_quoted_for_what_it_cost(port) -> None:  # type: ignore[no-untyped-def]
    answer = port.ask(PRICE)
    assert not answer.abstained
    assert any("900 مليون دولار" in c.quote for c in answer.citations)


def test_the_date_sentence_is_quoted_for_when_it_will_happen(port) -> None:  # type: ignore[no-untyped-def]
    answer = port.ask("When is the new berth at Salalah port due to receive its first ship?")
    assert not answer.abstained
    assert any("مارس المقبل" in c.quote for c in answer.citations)


@pytest.mark.parametrize(
    ("question", "refusal"), [(OPERATOR, UNMENTIONED["en"]), (PRICE, UNPRICED["en"])]
)
def test_the_twin_article_without_the_value_is_still_refused(
    twin, question: str, refusal: str
) -> None:  # type: ignore[no-untyped-def]
    answer = twin.ask(question)
    assert answer.abstained and answer.text == refusal


def test_a_places_share_is_quoted_and_a_place_given_no_share_is_refused(port) -> None:  # type: ignore[no-untyped-def]
    given = port.ask("What share of the rebuilt homes is in Taroudant province?")
    assert not given.abstained and "48 في المئة" in given.citations[0].quote
    ranked_only = port.ask("What share of the rebuilt homes is in Chichaoua province?")
    assert ranked_only.abstained
    assert ranked_only.text == UNPLACED["en"].format(place="Chichaoua")


def test_the_cli_quotes_the_operator(port, cli_runner) -> None:  # type: ignore[no-untyped-def]
    done = cli_runner(port.settings, "ask", OPERATOR)
    assert done.returncode == 0, done.stderr
    assert "ساوث بورتس" in done.stdout and "do not say which" not in done.stdout


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did the terminal cost?", "money"),
        ("What price per tonne did the state pay?", "money"),
        ("What share of the homes is in Haouz province?", "percent"),
        ("ما نسبة النساء بين المترشحين؟", "percent"),
        ("Which company will operate the port?", "name"),
        ("ما اسم الشركة التي تشغل الميناء؟", "name"),
        ("When will the berth open?", "date"),
        ("How many ships called at the port?", None),
        ("What did the minister say about the cost?", None),
        ("How much did the first phase of the new southern fish farm project cost?", "money"),
        ("", None),
    ],
)
def test_the_asked_kind_of_value_is_read_from_the_question(question: str, kind: str | None) -> None:
    assert asked_value(question) == kind


@pytest.mark.parametrize(
    ("kind", "question", "text", "carries"),
    [
        ("money", "How much did it cost?", "بلغت كلفتها نحو 900 مليون دولار.", True),
        ("money", "How much did it cost?", "ترفع طاقة الميناء إلى ستة ملايين حاوية.", False),
        ("money", "How much will a cubic metre cost?", "بكلفة 3 مليارات دولار.", False),
        ("money", "How much will a cubic metre cost?", "حدد السعر بـ2 دينار للمتر المكعب.", True),
        ("money", "What price per tonne?", "إن سعر الشراء حدد بـ350 دولارًا للطن.", True),
        ("money", "How much does a consumer pay?", "يدفع 3 فلوس فقط عن الكيلوواط ساعة.", True),
        ("money", "How much does a family pay?", "تشتري صهريجًا كل أسبوع بسعر 20 دينارًا.", True),
        ("money", "How much will it cost each month?", "بكلفة 85 مليون دولار.", True),
        ("name", "Which company?", 'تتولى تشغيله شركة "ساوث بورتس".', True),
        ("name", "Which company?", "نفذته شركة صينية.", False),
        ("name", "Which company?", "يتولى التحالف بناء المحطة.", False),
        (
            "percent",
            "What share is in Taroudant province?",
            "إقليم تارودانت يضم 48 في المئة.",
            True,
        ),
        (
            "percent",
            "What share is in Chichaoua province?",
            "يضم 48 في المئة، يليه إقليم شيشاوة بعد ذلك كله.",
            False,
        ),
        ("percent", "What share of the homes?", "أعيد بناء 30 ألف منزل.", False),
        ("date", "When?", "", False),
        ("date", "When will the berth open?", "افتتحت شركة الميناء أمس الأحد الرصيف.", False),
        ("date", "When did the berth open?", "افتتحت شركة الميناء أمس الأحد الرصيف.", True),
        ("date", "When will the berth open?", "يستقبل الرصيف أول سفينة في مارس المقبل.", True),
    ],
)
def test_a_sentence_carries_a_value_of_the_asked_kind(
    kind: str, question: str, text: str, carries: bool
) -> None:
    assert carries_value(kind, question, text) is carries


def test_an_arabic_question_keeps_its_quotes(port) -> None:  # type: ignore[no-untyped-def]
    """Arabic words reach the sentences directly: no model ranking, nothing replaced."""
    answer = port.ask("ما الشركة التي تتولى تشغيل الرصيف الجديد في ميناء صلالة؟")
    assert not answer.abstained and "ساوث بورتس" in " ".join(c.quote for c in answer.citations)
