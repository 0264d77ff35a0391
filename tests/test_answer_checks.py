"""'What did X say' answers quote someone's words (issues 13+14): which questions ask what
was said, which sentences report words, and the service and the CLI over articles written
here: a narrative sentence on the topic is not quoted as what anyone said (the words spoken
in the same passages are, or the question is refused when nobody speaks there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import answer_checks
from assistant.answer_checks import asks_what_was_said, reports_words
from assistant.arabic import normalize
from assistant.bridge import match_transliteration
from assistant.extractive import Sentence
from assistant.models import Chunk, Span
from assistant.settings import Settings
from tests.conftest import assistant_over

PLANT_ARTICLE = (
    "الكويت تفتتح محطة لتحلية المياه في الزور\n\n"
    "افتتحت الكويت أمس محطة جديدة لتحلية مياه البحر في منطقة الزور بطاقة 120 مليون غالون يوميا. "
    "وتعاني الكويت من ارتفاع الطلب على المياه في أشهر الصيف، حين تتجاوز الحرارة خمسين درجة. "
    "وبنت المحطة شركة محلية خلال ثلاث سنوات.\n\n"
    "وقال وزير الكهرباء والماء أحمد العتيبي إن المحطة ستغطي حاجة نصف مليون نسمة من مياه الشرب. "
    "وأضاف العتيبي أن الوزارة ستطرح مناقصة لمحطة تحلية ثانية في الجنوب.\n"
)
MARKET_ARTICLE = (
    "أسواق الخضار في عمّان تشهد ارتفاعا في الأسعار\n\n"
    "شهدت أسواق الخضار في عمّان هذا الأسبوع ارتفاعا في أسعار الطماطم بنسبة 30 في المئة. "
    "ويقول التاجر سامر الحمود إن موجة الحر أتلفت جزءا من المحصول في الأغوار.\n"
)
RAIN_ARTICLE = (
    "أمطار غزيرة تغرق شوارع البصرة\n\n"
    "غمرت أمطار غزيرة شوارع البصرة أمس، وتعطلت حركة السير في وسط المدينة لساعات. "
    "وأغلقت المدارس أبوابها في عدد من الأحياء بعد أن ارتفع منسوب المياه في الشوارع.\n"
)


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("", False),
        ("What did Turkey say about the marshes?", True),
        ("What did the expert warn about?", True),
        ("What does the minister think of it?", True),
        ("What is Sudan's position?", False),  # a position may be stated in narrative
        ("ماذا قال المتحدث عن المياه؟", True),
        ("بماذا صرحت الوزيرة؟", True),
        ("ما الذي أخر المشروع؟", False),
        ("How many jobs, according to the minister?", False),
    ],
)
def test_a_question_asks_what_was_said_only_with_a_speech_verb_after_what(question: str, asks: bool) -> None:
    assert asks_what_was_said(question) is asks


def sentence(text: str, source: str = "a.txt") -> Sentence:
    chunk = Chunk(chunk_id=f"{source}:0", source=source, text=text, start=0, end=len(text))
    return Sentence(chunk=chunk, span=Span(0, len(text)), text=text, score=1.0, rank=0)


@pytest.mark.parametrize(
    ("text", "reports"),
    [
        ("", False),
        ("تشهد الأهوار أسوأ موجة جفاف منذ عقود.", False),
        ("وقال المتحدث إن الإطلاقات انخفضت.", True),
        ("حذرت الخبيرة من انقراض الطيور.", True),
        ('ويقول المربي: "عشنا هنا".', True),
        ("وبحسب تقرير للمنظمة نزحت 1200 عائلة.", True),
    ],
)
def test_a_sentence_reports_words_with_a_speech_verb_or_a_quotation_mark(text: str, reports: bool) -> None:
    assert reports_words(sentence(text)) is reports


@pytest.mark.parametrize(
    ("name", "words", "found"),
    [
        ("Balushi", ["البلوشية"], True),  # a woman's nisba surname
        ("Balushi", ["البلوشي"], True),
        ("Balushi", ["الدولية"], False),
        ("Hussaini", ["الحسينية"], True),
    ],
)
def test_a_womans_nisba_surname_matches_the_transliterated_name(name: str, words: list[str], found: bool) -> None:
    assert bool(match_transliteration(name, [normalize(w) for w in words])) is found


ASKED = [
    ("ماذا قالت السلطات عن الأمطار الغزيرة في شوارع البصرة؟", True),  # nobody speaks there
    ("ماذا حدث في شوارع البصرة بعد الأمطار الغزيرة؟", False),  # not a statement question
    ("ماذا قال الوزير العتيبي عن المناقصة لمحطة التحلية الثانية؟", False),
    ("ماذا قال العتيبي عن مناقصة محطة التحلية الثانية في الجنوب؟", False),  # a continuation: وأضاف العتيبي
    ("ماذا قال وزير الكهرباء والماء أحمد العتيبي عن مياه الشرب؟", False),
]


@pytest.fixture(scope="module")
def plant_assistant(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return assistant_over(
        tmp_path_factory.mktemp("plant"),
        {"001_plant.txt": PLANT_ARTICLE, "002_market.txt": MARKET_ARTICLE, "003_rain.txt": RAIN_ARTICLE},
    )


@pytest.mark.parametrize(("question", "refused"), ASKED)
def test_the_service_refuses_each_kind_of_unanswerable_question_and_answers_the_close_one(
    plant_assistant, question: str, refused: bool
) -> None:  # type: ignore[no-untyped-def]
    answer = plant_assistant.ask(question)
    assert answer.abstained is refused
    assert (answer.citations == ()) is refused


@pytest.mark.parametrize(("question", "refused"), [q for q in ASKED if q[1]])
def test_without_the_check_the_unanswerable_questions_would_be_answered(
    plant_assistant, monkeypatch: pytest.MonkeyPatch, question: str, refused: bool
) -> None:  # type: ignore[no-untyped-def]
    """The refusals above are this check's doing, not the coverage threshold's."""
    monkeypatch.setattr(answer_checks, "quotes_speech", lambda analysis, chosen: True)
    assert not plant_assistant.ask(question).abstained


def test_what_the_minister_said_is_quoted_first_not_the_narrative_sentence_on_the_topic(
    plant_assistant,
) -> None:  # type: ignore[no-untyped-def]
    """The heat is only in a narrative sentence of the article; the first quote of "what did
    the minister say about the heat" is the minister's own words."""
    answer = plant_assistant.ask("ماذا قال وزير الكهرباء والماء أحمد العتيبي عن درجات الحرارة في الصيف؟")
    assert not answer.abstained
    assert answer.citations[0].quote.startswith("وقال وزير الكهرباء والماء أحمد العتيبي")


def test_the_cli_refuses_what_nobody_said_and_answers_what_happened(
    tmp_path: Path, cli_runner
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "003_rain.txt").write_text(RAIN_ARTICLE, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "articles", store_dir=tmp_path / "store", embedder="hashing", allow_downloads=False
    )
    assert cli_runner(settings, "ingest").returncode == 0
    refused = json.loads(cli_runner(settings, "ask", ASKED[0][0], "--json").stdout)
    answered = json.loads(cli_runner(settings, "ask", ASKED[1][0], "--json").stdout)
    assert refused["abstained"] and not refused["citations"]
    assert not answered["abstained"] and "البصرة" in answered["citations"][0]["quote"]
