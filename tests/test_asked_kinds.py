"""Refusing a question whose asked entity or value the quotes lack, and answering its twin
(:mod:`assistant.answer_kinds`): a figure asked for one governorate where the sentence gives
another's and says only that this one's fell; a price asked per unit where the quotes give a
whole deal's value; a company of one nationality the quotes only describe, beside another
that they name. Through the service over planted articles (real Chroma and splitter; the
hashing embedder for Arabic questions, the bundled e5 engine for English ones, which the
hashing embedder cannot retrieve for) and once through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import answer_kinds
from assistant.answer_kinds import (
    asked_place,
    asks_unit_price,
    clauses,
    generic_name,
    unit_unpriced,
    unplaced_value,
)
from assistant.settings import Settings
from tests.conftest import assistant_over, e5_assistant_over

WHEAT_ARTICLE = (
    "سوريا تتسلم 900 ألف طن من القمح في موسم جاف\n\n"
    "أعلنت المؤسسة السورية للحبوب أمس أنها تسلمت نحو 900 ألف طن من القمح من المزارعين هذا الموسم. "
    "وأوضح مدير المؤسسة أن محافظة حماة جاءت في المرتبة الأولى بنحو 300 ألف طن، تلتها محافظة إدلب، "
    "بينما تراجعت الكميات المسلمة في محافظة طرطوس بسبب الجفاف.\n\n"
    "وحدد سعر شراء القمح من المزارعين بـ400 دولار للطن الواحد يدفع بالليرة السورية.\n\n"
    "واشترت المؤسسة 20 شاحنة نقل جديدة في صفقة بلغت قيمتها 5 ملايين دولار.\n\n"
    'ونفذت أعمال توسعة الصوامع شركة مقاولات تركية، فيما تتولى شركة "ميلانو" الإيطالية تشغيل الصوامع.\n'
)

# (question, refused, what the refusal must say)
ARABIC = [
    ("كم بلغت كميات القمح المسلمة في محافظة طرطوس؟", True, "طرطوس"),  # its clause has no figure
    ("كم بلغت كميات القمح المسلمة في محافظة حماة؟", False, ""),
    ("كم بلغ سعر الشاحنة الواحدة التي اشترتها المؤسسة؟", True, "الوحدة"),  # the deal's value only
    ("ما سعر شراء القمح من المزارعين للطن الواحد؟", False, ""),
    ("ما اسم شركة المقاولات التركية التي نفذت أعمال توسعة الصوامع؟", True, "شركة مقاولات تركية"),
    ("ما اسم الشركة الإيطالية التي تتولى تشغيل الصوامع؟", False, ""),
]
ENGLISH = [
    ("How much wheat did Tartus governorate deliver this season?", True, "Tartus"),
    ("How much wheat did Hama governorate deliver this season?", False, ""),
    ("What price per truck did the grain corporation pay for its new trucks?", True, "one unit"),
    ("What price per tonne does the grain corporation pay farmers for wheat?", False, ""),
    ("Which Turkish contractor expanded the grain silos?", True, "شركة مقاولات تركية"),
    ("Which Italian company operates the grain silos?", False, ""),
]


@pytest.fixture(scope="module")
def wheat(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return assistant_over(tmp_path_factory.mktemp("wheat"), {"001_wheat.txt": WHEAT_ARTICLE})


@pytest.fixture(scope="module")
def wheat_e5(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return e5_assistant_over(tmp_path_factory.mktemp("wheat_e5"), {"001_wheat.txt": WHEAT_ARTICLE})


def _check(answer, refused: bool, named: str) -> None:  # type: ignore[no-untyped-def]
    assert answer.abstained is refused, answer.text
    assert (answer.citations == ()) is refused
    if refused:
        assert named in answer.text


@pytest.mark.parametrize(("question", "refused", "named"), ARABIC)
def test_an_arabic_question_is_refused_when_the_quotes_lack_the_asked_value_or_name_and_its_twin_is_answered(
    wheat, question: str, refused: bool, named: str
) -> None:  # type: ignore[no-untyped-def]
    _check(wheat.ask(question), refused, named)


@pytest.mark.parametrize(("question", "refused", "named"), ENGLISH)
def test_an_english_question_is_refused_when_the_quotes_lack_the_asked_value_or_name_and_its_twin_is_answered(
    wheat_e5, question: str, refused: bool, named: str
) -> None:  # type: ignore[no-untyped-def]
    _check(wheat_e5.ask(question), refused, named)


@pytest.mark.parametrize(
    ("check", "question"),
    [
        ("unplaced_value", ARABIC[0][0]),
        ("unit_unpriced", ARABIC[2][0]),
        ("generic_name", ARABIC[4][0]),
    ],
)
def test_without_each_check_its_unanswerable_question_would_be_answered(
    wheat, monkeypatch: pytest.MonkeyPatch, check: str, question: str
) -> None:  # type: ignore[no-untyped-def]
    """The refusals above are these checks' doing, not the coverage threshold's."""
    monkeypatch.setattr(
        answer_kinds, check, lambda *args: False if check == "unit_unpriced" else None
    )
    assert not wheat.ask(question).abstained


def test_the_cli_refuses_a_governorate_the_article_gives_no_figure_for_and_answers_one_it_does(
    tmp_path: Path, cli_runner
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "001_wheat.txt").write_text(WHEAT_ARTICLE, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "articles",
        store_dir=tmp_path / "store",
        embedder="hashing",
        allow_downloads=False,
    )
    assert cli_runner(settings, "ingest").returncode == 0
    refused = json.loads(cli_runner(settings, "ask", ARABIC[0][0], "--json").stdout)
    answered = json.loads(cli_runner(settings, "ask", ARABIC[1][0], "--json").stdout)
    assert refused["abstained"] and not refused["citations"] and "طرطوس" in refused["answer"]
    assert not answered["abstained"] and "300 ألف طن" in answered["citations"][0]["quote"]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "بلغت 300 ألف طن، تلتها إدلب، بينما تراجعت في طرطوس.",
            ["بلغت 300 الف طن، تلتها ادلب", "بينما تراجعت في طرطوس."],
        ),
        (
            "وفي ولاية سطيف، بلغت النسبة 58 في المئة.",
            ["وفي ولايه سطيف، بلغت النسبه 58 في الميه."],
        ),  # a fronted place
        (
            "تخشى أن تمتد إلى ولاية القضارف، التي تنتج 40 في المئة؛ وقال إن",
            ["تخشي ان تمتد الي ولايه القضارف، التي تنتج 40 في الميه", "وقال ان"],
        ),  # a relative clause goes on about the place
        ("", []),
    ],
)
def test_a_sentence_parts_into_clauses_at_a_semicolon_or_a_comma_before_a_new_clause(
    text: str, parts: list[str]
) -> None:
    assert clauses(text) == parts


def test_a_place_needs_its_figure_in_its_own_clause_and_a_date_is_no_figure() -> None:
    question = "كم طنا سلمت محافظة درعا؟"
    assert asked_place(question) == "درعا"
    assert (
        unplaced_value(
            question, ["جاءت الحسكة بنحو 480 ألف طن، بينما تراجعت الكميات في محافظة درعا."]
        )
        == "درعا"
    )
    assert unplaced_value(question, ["وسلمت محافظة درعا 90 ألف طن."]) is None
    gedaref = [
        "تخشى أن تمتد الأسراب إلى ولاية القضارف، التي تنتج 40 في المئة من الذرة، في وقت يجوع فيه 25 مليون شخص."
    ]
    assert (
        unplaced_value("What share of the sorghum crop does Gedaref state grow?", gedaref) is None
    )
    assert unplaced_value("How many swarms have reached Gedaref state?", gedaref) == "Gedaref"
    assert (
        unplaced_value(
            "How many candidates were accepted in Sfax governorate?",
            ["قبلت في صفاقس يوم 20 ديسمبر القائمة."],
        )
        == "Sfax"
    )
    assert asked_place("كم عدد الطلاب في المحافظة التي تصدرت النتائج؟") is None


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("What price per aircraft did the airline pay?", True),
        ("How much will Jordanians pay per cubic metre of water?", True),
        ("كم سعر الطائرة الواحدة؟", True),
        ("كم سعر السماد لكل طن؟", True),
        ("How much will the cap cost the reserves each month?", False),  # a rate in time
        ("How much did the deal cost?", False),
        ("How many trucks per month?", False),  # not money
    ],
)
def test_a_unit_price_is_money_asked_per_unit_not_per_period(question: str, asks: bool) -> None:
    assert asks_unit_price(question) is asks


def test_a_unit_price_needs_an_amount_tied_to_a_unit_in_one_clause() -> None:
    question = "What price per tonne did the state pay?"
    assert unit_unpriced(question, ["وبلغت قيمة الصفقة 6.8 مليارات دولار."])
    assert not unit_unpriced(question, ["وحدد السعر بـ350 دولارا للطن."])
    assert not unit_unpriced(
        "How much did the deal cost?", ["وبلغت قيمة الصفقة 6.8 مليارات دولار."]
    )


@pytest.mark.parametrize(
    ("question", "quotes", "phrase"),
    [
        (
            "Which South Korean contractor built the terminal?",
            ['تشغلها شركة "كيو"، فيما نفذتها شركة مقاولات كورية جنوبية.'],
            "شركة مقاولات كورية",
        ),
        (
            "Which Spanish company is a partner?",
            ["يديره مشروع بين المؤسسة وشركة ريبسول الإسبانية وشركة محلية."],
            None,
        ),  # named
        (
            "Which company built it?",
            ['نفذتها شركة مقاولات تركية وشركة "ألفا".'],
            None,
        ),  # no nationality asked: one is named
        (
            "ما اسم الشركة التركية التي نفذت التوسعة؟",
            ['نفذتها شركة مقاولات تركية، وتشغلها شركة "ميلانو" الإيطالية.'],
            "شركة مقاولات تركية",
        ),
        (
            "Which Turkish company built it?",
            ["نفذتها شركة الأناضول التركية."],
            None,
        ),  # definite: a name
    ],
)
def test_a_company_of_the_asked_nationality_that_the_quotes_only_describe_is_not_named(
    question: str, quotes: list[str], phrase: str | None
) -> None:
    assert generic_name(question, quotes) == phrase


def test_a_day_of_the_month_is_no_figure_of_the_place_beside_it() -> None:
    """«… في تونس، … يوم 20 ديسمبر» gives no figure for Tunis: the day of a date is stripped
    with its month before a figure is looked for (a later module-level date pattern once
    shadowed the one that strips it, and the day was read as Tunis's count)."""
    quote = "أعلنت الهيئة العليا للانتخابات في تونس، مساء أمس، القائمة للانتخابات المقررة يوم 20 ديسمبر المقبل."
    assert unplaced_value("How many candidates were accepted in Tunis governorate?", [quote]) == "Tunis"
    given = "وقبلت الهيئة في ولاية تونس 640 مترشحا."
    assert unplaced_value("How many candidates were accepted in Tunis governorate?", [given]) is None


CHESS_ARTICLE = (
    "اختتام البطولة العربية للشطرنج في تونس\n\n"
    "اختتمت مساء السبت في تونس البطولة العربية للشطرنج بمشاركة 120 لاعبا من 15 دولة. "
    "ونال الفائز الأول في كل فئة من فئات البطولة 8 آلاف دولار، فيما حصل صاحب المركز الثاني على 5 آلاف دولار.\n"
)


def test_money_for_each_winner_is_no_price_of_one_unit(tmp_path: Path) -> None:
    """"each winner" asks what a person received, not a unit's price: the prize sentence,
    which has no per-unit marker, answers it (it was refused as "no price for one unit")."""
    assert not asks_unit_price("How much prize money did each winner get?")
    assert asks_unit_price("What price per ticket did the federation charge?")
    chess = e5_assistant_over(tmp_path, {"001_chess.txt": CHESS_ARTICLE})
    answer = chess.ask("How much prize money did each winner get?")
    assert not answer.abstained, answer.text
    assert any("8 آلاف دولار" in c.quote for c in answer.citations)
