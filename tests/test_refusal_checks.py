"""Refusing what the articles do not say, without refusing what they do (issues 13+14):
a person no article names, a person quoted but not on the question, a title nobody in the
quoted articles holds, a company the articles describe without naming, a figure asked for
one place when the articles give it for another. Each refusal is checked through the service
over articles written here (real Chroma, hashing embedder), beside a question of the same
shape that the articles answer and that must not be refused."""

from __future__ import annotations

import pytest

from assistant import answer_checks, answer_kinds, person_names
from assistant.answer_checks import continues_speech
from assistant.answer_kinds import (
    asked_place,
    asks_for_money,
    asks_for_name,
    generic_name,
    unmentioned_kind,
    unplaced_value,
    unpriced,
)
from assistant.person_names import (
    absent_person,
    arabic_subject_words,
    asked_name,
    asked_role,
    english_matches,
    english_name_words,
    name_in_text,
)
from tests.conftest import assistant_over

PORT_ARTICLE = (
    "سلطنة عمان توسع ميناء الدقم\n\n"
    "بدأت سلطنة عمان أمس أعمال توسعة ميناء الدقم على بحر العرب بكلفة 400 مليون دولار. "
    "ونفذت أعمال الحفر شركة كورية خلال عامين.\n\n"
    "وقال وزير النقل سالم المعمري إن الحكومة ستخفض الرسوم الجمركية على الحاويات العابرة. "
    "وأضاف أن الميناء سيستقبل أكبر سفن الحاويات في العالم.\n"
)
DEBT_ARTICLE = (
    "ديون الشركات الحكومية في عمان\n\n"
    "ارتفعت ديون الشركات الحكومية في سلطنة عمان منذ عام 2019 بنحو 40 في المئة. "
    "وقالت الخبيرة الاقتصادية هدى الراشدي إن هذه الديون تقيد خطط التوسع في الموانئ والمطارات. "
    "وأضافت أن الشركات تحتاج إلى شريك خاص لتشغيل المرافق الجديدة.\n"
)
PLANT_ARTICLE = (
    "افتتاح محطة كهرباء جديدة في صحار\n\n"
    'افتتحت الحكومة محطة كهرباء جديدة في صحار بنتها شركة "ألستوم" الفرنسية بقدرة 900 ميغاواط. '
    "وستغطي المحطة حاجة ثلاث ولايات من الكهرباء.\n\n"
    'ووقعت مجموعة "أوكيو" العمانية عقدا لتشغيل المحطة الجديدة في صحار مدة عشرين عاما.\n'
)
EXAM_ARTICLE = (
    "نتائج امتحان الدبلوم العام\n\n"
    "أعلنت وزارة التربية نتائج امتحان الدبلوم العام، وبلغت نسبة النجاح 71 في المئة على المستوى الوطني. "
    "وحلت ولاية نزوى في المرتبة الأولى بنسبة نجاح بلغت 85 في المئة.\n"
)
FESTIVAL_ARTICLE = (
    "مهرجان مسقط للأفلام يختتم دورته\n\n"
    "اختتم مهرجان مسقط للأفلام دورته العاشرة أمس بعرض 60 فيلما من 20 بلدا. "
    "وقال مدير المهرجان خالد البوسعيدي إن عدد الزوار تجاوز 30 ألفا.\n"
)


@pytest.fixture(scope="module")
def oman(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return assistant_over(
        tmp_path_factory.mktemp("oman"),
        {
            "001_port.txt": PORT_ARTICLE,
            "002_plant.txt": PLANT_ARTICLE,
            "003_exam.txt": EXAM_ARTICLE,
            "004_festival.txt": FESTIVAL_ARTICLE,
            "005_debt.txt": DEBT_ARTICLE,
        },
    )


# (question, refused, what the refusal must say)
ASKED = [
    ("ماذا قالت سارة الهاشمي عن ديون الشركات الحكومية؟", True, "سارة الهاشمي"),  # nobody of that name
    ("ماذا قالت هدى الراشدي عن ديون الشركات الحكومية؟", False, ""),
    ("ماذا قالت هدى الراشدي عن الشريك الخاص لتشغيل المرافق الجديدة؟", False, ""),  # a continuation: وأضافت أن
    ("ماذا قال وزير الثقافة عن عدد الزوار في مهرجان مسقط للأفلام؟", True, "وزير الثقافة"),  # no minister there
    ("ماذا قال مدير المهرجان عن عدد الزوار في مهرجان مسقط للأفلام؟", False, ""),
    ("ما اسم الشركة الكورية التي نفذت أعمال الحفر في ميناء الدقم؟", True, "شركة كورية"),  # described, not named
    ("ما اسم الشركة التي بنت محطة الكهرباء الجديدة في صحار؟", False, ""),
    ("كم بلغت نسبة النجاح في امتحان الدبلوم العام في ولاية صور؟", True, "صور"),  # national and Nizwa only
    ("كم بلغت نسبة النجاح في امتحان الدبلوم العام في ولاية نزوى؟", False, ""),
    ("كم بلغت كلفة مهرجان مسقط للأفلام في دورته العاشرة؟", True, "المبلغ"),  # films and visitors, no money
    ("كم بلغت كلفة أعمال توسعة ميناء الدقم؟", False, ""),
    ("ما اسم الشركة التي نظمت مهرجان مسقط للأفلام في دورته العاشرة؟", True, "شركة"),  # no company there
    ("أي شركة ستشغل محطة الكهرباء الجديدة في صحار؟", False, ""),  # a group, named
]


@pytest.mark.parametrize(("question", "refused", "named"), ASKED)
def test_the_service_refuses_each_kind_of_unanswerable_question_and_answers_the_close_one(
    oman, question: str, refused: bool, named: str
) -> None:  # type: ignore[no-untyped-def]
    answer = oman.ask(question)
    assert answer.abstained is refused
    assert (answer.citations == ()) is refused
    if refused:
        assert named in answer.text and answer.text.startswith(("لا ", "تنقل"))


def test_a_person_no_article_names_is_refused_in_english_by_name(oman) -> None:  # type: ignore[no-untyped-def]
    answer = oman.ask("What did Yasmin Khalil say about the Duqm port?")
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith("The articles do not mention Yasmin Khalil.")


def test_a_person_an_article_names_is_not_refused_for_their_name_in_english(oman) -> None:  # type: ignore[no-untyped-def]
    """Spelled without the ع and the al- the article has (هدى الراشدي)."""
    answer = oman.ask("What did Huda Rashdi say about the debts of state companies?")
    assert "do not mention" not in answer.text
    assert "Huda Rashdi, but not on this" not in answer.text


@pytest.mark.parametrize(
    ("check", "question"),
    [
        ("generic_name", ASKED[5][0]),
        ("unplaced_value", ASKED[7][0]),
        ("unpriced", ASKED[9][0]),
        ("unmentioned_kind", ASKED[11][0]),
    ],
)
def test_without_each_check_its_unanswerable_question_would_be_answered(
    oman, monkeypatch: pytest.MonkeyPatch, check: str, question: str
) -> None:  # type: ignore[no-untyped-def]
    """The refusals above are these checks' doing, not the coverage threshold's."""
    kept = {"unpriced": False, "unmentioned_kind": False}.get(check)
    monkeypatch.setattr(answer_kinds, check, lambda *args: kept)
    assert not oman.ask(question).abstained


def test_without_the_title_check_its_unanswerable_question_would_be_answered(
    oman, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(person_names, "absent_role", lambda *args: None)
    assert not oman.ask(ASKED[3][0]).abstained


SOMEONE_ELSE = "ماذا قالت هدى الراشدي عن الرسوم الجمركية على الحاويات العابرة؟"  # the minister said that


def test_when_the_quotes_are_someone_elses_words_the_asked_persons_own_are_quoted(oman) -> None:  # type: ignore[no-untyped-def]
    """Customs fees are the minister's words; what the expert said (on debts) is quoted."""
    answer = oman.ask(SOMEONE_ELSE)
    assert not answer.abstained
    assert all("الراشدي" in c.quote for c in answer.citations)


def test_without_that_step_the_other_persons_words_would_be_quoted(
    oman, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(answer_checks, "words_of_asked", lambda *args: [])
    answer = oman.ask(SOMEONE_ELSE)
    assert answer.citations and "المعمري" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("english", "arabic", "match"),
    [
        ("Saadi", "الساعدي", True),  # ع written as a vowel
        ("Zoubi", "الزعبي", True),
        ("Kazzi", "قزي", True),
        ("Osman", "عثمان", True),  # s for ث
        ("Isabel", "إيزابيل", True),  # s for ز
        ("Balushi", "البلوشية", True),  # a woman's nisba
        ("Abdo", "عبده", True),
        ("Noureddine", "نورالدين", True),
        ("Rossi", "قزي", False),
        ("Ferrari", "الروسي", False),
        ("Mona", "من", False),
    ],
)
def test_an_english_name_word_matches_its_arabic_spellings_and_not_others(english: str, arabic: str, match: bool) -> None:
    assert english_matches(english, arabic) is match


@pytest.mark.parametrize(
    ("name", "text", "found"),
    [
        (("Salem", "Harthi"), "وقال سالم بن راشد الحارثي إن", True),  # a middle name, بن
        (("Hisham", "Razek"), "قال هشام عبد الرازق إن", True),
        (("Noureddine", "Belkacemi"), "وقال نور الدين بلقاسمي إن", True),  # one word for two
        (("Marco", "Ferrari"), "ماركو فيراري", True),
        (("Georges", "Kazzi"), "وقال وزير المالية جورج قزي إن", True),  # a French silent s
        (("Francois", "Laurent"), "قال فرانسوا لوران، إن", True),  # and t
        (("Ferrari", "Marco"), "ماركو فيراري", False),  # in order
        (("Marco", "Rossi"), "في مارس الماضي أعلنت الحكومة الروسية", False),  # each matches a word, apart
        (("Yasmin", "Khalil"), "", False),
        (("Wang", "Yi"), "أي نص", True),  # "Yi" has no consonant, "Wang" alone two: not judged
        (("سارة", "الهاشمي"), "قالت الباحثة سارة الهاشمي إن", True),
    ],
)
def test_a_name_is_in_a_text_when_its_words_are_there_in_order_side_by_side(
    name: tuple[str, ...], text: str, found: bool
) -> None:
    english = name[0].isascii()
    assert name_in_text(name, text, english) is found


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("What did Finance Minister George Kazzi say about inflation?", ("George", "Kazzi")),
        ("What did Kuwait University professor Mishari al-Failakawi say?", ("Mishari", "Failakawi")),
        ("What did the mission's head, Nadia al-Shennawy, say about the colours?", ("Nadia", "Shennawy")),
        ("What did chief executive Salem bin Rashid al-Harthi say?", ("Rashid", "Harthi")),
        ("What did Sonatrach's chief executive say?", ()),
        ("What did Morocco's king say about wind farms?", ()),
        ("What did Lavrov say about Eurasia?", ()),
        ("What did the Red Sea festival's chief executive say?", ()),  # a place, not the subject's head
        ("What did World Health Organization officials say?", ()),
        ("Why was Tata chosen, according to Karim Bensouda?", ("Karim", "Bensouda")),
        ("How many jobs will the farm create?", ()),
    ],
)
def test_the_person_an_english_question_asks_about_is_its_last_two_capitalised_name_words(
    question: str, name: tuple[str, ...]
) -> None:
    assert english_name_words(question) == name


@pytest.mark.parametrize(
    ("question", "subject", "name"),
    [
        ("ماذا قالت سارة المشهداني عن السدود؟", ("ساره", "المشهداني"), ("ساره", "المشهداني")),
        ("ماذا قال هشام عبد الرازق عن النهب؟", ("هشام", "عبد", "الرازق"), ("هشام", "الرازق")),
        ("ماذا قال الوزير الإثيوبي عن المقترح؟", ("الوزير", "الاثيوبي"), ()),  # a title
        ("ماذا قال وزير الطاقة الجزائري عن العقد؟", ("وزير", "الطاقه", "الجزايري"), ()),
        ("ماذا قال لافروف؟", ("لافروف",), ()),
    ],
)
def test_an_arabic_subject_is_a_name_only_when_two_words_and_no_title(
    question: str, subject: tuple[str, ...], name: tuple[str, ...]
) -> None:
    assert arabic_subject_words(question) == subject
    assert asked_name(question, "ar") == name


def test_a_title_is_read_in_arabic_and_through_the_lexicon_in_english() -> None:
    assert asked_role("ماذا قال وزير الثقافة عن المهرجان؟", "ar") == ("وزير الثقافة", frozenset({"وزير"}))
    role = asked_role("What did the Algerian energy minister say about the deal?", "en")
    assert role is not None and "وزير" in role[1]
    assert asked_role("What did the Japanese importer say?", "en") is None  # not a title the lexicon knows
    assert asked_role("ماذا قالت سارة المشهداني؟", "ar") is None


def test_an_absent_person_is_named_as_the_question_writes_them() -> None:
    texts = ["قال المتحدث باسم الوزارة ماركو فيراري إن العقد مهم."]
    assert absent_person("What did Marco Ferrari say?", "en", texts) is None
    assert absent_person("What did Marco Rossi say?", "en", texts) == "Marco Rossi"
    assert absent_person("ماذا قالت سارة الهاشمي؟", "ar", texts) == "سارة الهاشمي"
    assert absent_person("ماذا قال الناطق باسم الوزارة؟", "ar", texts) is None  # a title, worded otherwise
    assert absent_person("ماذا قال السفير الياباني؟", "ar", texts) is None  # a title: absent_role's to judge


@pytest.mark.parametrize(
    ("text", "continues"),
    [
        ("وأضاف أن الميناء سيستقبل السفن.", True),
        ("وقالت إن الألوان زاهية.", True),
        ("وتابع: نحن مستعدون.", True),
        ("وقالت الشناوي إن الفتح صعب.", False),
        ("وبلغت الكلفة 40 مليونا.", False),
    ],
)
def test_a_continuation_is_a_speech_verb_with_no_subject_of_its_own(text: str, continues: bool) -> None:
    assert continues_speech(text) is continues


@pytest.mark.parametrize(
    ("question", "quotes", "phrase"),
    [
        ("Which Chinese company built the railway?", ["بمشاركة شركة صينية، واستغرقت الأشغال عامين."], "شركة صينية"),
        ("ما اسم الشركة الصينية؟", ["نفذته شركات جزائرية عمومية بمشاركة شركة صينية."], "شركة صينية"),  # the asked nationality
        ("ما اسم الشركة المنفذة؟", ["نفذته شركات جزائرية عمومية بمشاركة شركة صينية."], "شركات جزائرية», «شركة صينية"),
        ("Which company built the plant?", ['بنتها شركة "ألستوم" الفرنسية.'], None),  # named
        ("Which company built the plant?", ["بنتها شركة ألستوم الفرنسية."], None),
        ("Which company built the plant?", ["افتتحت الحكومة المحطة أمس."], None),  # no company: not judged
        ("How much did the company pay?", ["دفعت شركة صينية مليون دولار."], None),  # not a name question
    ],
)
def test_a_company_the_quotes_only_describe_is_not_named(question: str, quotes: list[str], phrase: str | None) -> None:
    assert generic_name(question, quotes) == phrase
    assert asks_for_name(question) is (phrase is not None or "ompany built" in question)


@pytest.mark.parametrize(
    ("question", "place"),
    [
        ("كم بلغت نسبة النجاح في ولاية وهران؟", "وهران"),
        ("كم بلغت درجة الحرارة في منطقة الجهراء؟", "الجهراء"),
        ("How many swarms reached Gedaref state?", "Gedaref"),
        ("What share of the vote did the party win in the province of Kirkuk?", "Kirkuk"),
        ("لماذا تخشى السلطات وصول الجراد إلى ولاية القضارف؟", None),  # not a value question
        ("كم بلغت نسبة النجاح؟", None),
        ("Which governorate had the most accepted candidates, and how many?", None),  # a question word
        ("How many votes did each province count, and how many in Sfax governorate?", "Sfax"),
    ],
)
def test_the_place_a_value_question_asks_about_is_found_by_its_administrative_unit(
    question: str, place: str | None
) -> None:
    assert asked_place(question) == place


def test_a_value_for_one_place_needs_a_quote_with_that_place_and_a_value_of_the_asked_kind() -> None:
    question = "كم بلغت نسبة النجاح في قطاع غزة؟"
    assert unplaced_value(question, ["وبلغت نسبة النجاح 71 في المئة.", "وسيتقدم 27 ألف طالب من قطاع غزة."]) == "غزة"
    assert unplaced_value(question, ["وبلغت نسبة النجاح في قطاع غزة 60 في المئة."]) is None
    assert unplaced_value("كم بلغت الحرارة في منطقة الجهراء؟", ["بلغت 52 درجة في منطقة الجهراء."]) is None


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("How much did the Gara Djebilet railway cost?", True),
        ("How much will a cubic metre of desalinated water cost Jordanian households?", True),
        ("What price per aircraft did the airline pay?", True),
        ("How many aircraft did it order, and what is the deal worth?", True),
        ("ما قيمة جائزة الرواية؟", True),
        ("كم بلغت كلفة المرحلة الأولى من المشروع؟", True),
        ("How much gas will Algeria supply a year?", False),
        ("What did the minister say about the price of fish?", False),  # what was said
        ("كم طنا صدرت تونس؟", False),
    ],
)
def test_a_price_question_asks_for_money(question: str, asks: bool) -> None:
    assert asks_for_money(question) is asks


@pytest.mark.parametrize(
    ("quote", "priced"),
    [
        ("وبلغت كلفة المرحلة الأولى 95 مليون ريال عماني.", True),
        ("ويدفع المستهلك 3 فلوس عن الكيلوواط ساعة.", True),
        ("وتبلغ قيمة الجائزة عشرة آلاف دينار أردني.", True),
        ("The ticket costs $5.", True),
        ("وستبقى التذكرة مجانية للطلاب.", True),
        ("يربط الخط المنجم بمدينة بشار على مسافة 950 كيلومترا.", False),
        ("سينتج المشروع 300 مليون متر مكعب سنويا.", False),
        ("وتنوي دراسة الطب في جامعة بين سبع جامعات.", False),  # بين is not a currency (ين, yen)
    ],
)
def test_a_price_is_answered_only_by_a_quote_naming_a_currency(quote: str, priced: bool) -> None:
    assert unpriced("How much did it cost?", [quote]) is not priced


@pytest.mark.parametrize(
    ("question", "quotes", "unmentioned"),
    [
        ("Which company built the power station?", ["خرجت ثلاث وحدات في محطة الزور من الخدمة."], True),
        ("Which banks are lending the airline the money?", ['وقعت شركة "طيران الواحة" اتفاقا مع إيرباص.'], True),
        ("Which banks are lending the airline the money?", ["ويمول الصفقة تحالف من المصارف المحلية."], False),
        ("Which company will supply the gas?", ["وقعت مجموعة سوناطراك الجزائرية عقدا طويل الأجل."], False),
        ("How much gas will it supply?", ["وقعت الجزائر عقدا."], False),  # not a name question
    ],
)
def test_a_company_or_bank_question_needs_a_quote_mentioning_one(
    question: str, quotes: list[str], unmentioned: bool
) -> None:
    assert unmentioned_kind(question, quotes) is unmentioned
