"""Multi-article questions (issue 14): each part of a question, and each article answering a
listing question, gets its own quote; a single-article question stays in its article.

Three small articles written here (two fishing-treaty meetings in two cities on two days,
and an unrelated one) are ingested into a real Chroma + BM25 store with the real splitter;
the assistant answers offline (no LLM) through :class:`Assistant` and through the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from assistant.extractive import Sentence, pick
from assistant.index import open_index
from assistant.ingest import ingest
from assistant.models import Answer, Chunk, Span
from assistant.multi_article import asked_type, carries, question_parts
from assistant.retrieval import analyse_query
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.speakers import Speaker
from tests.conftest import offline_settings

DAKAR = "a_dakar_talks.txt"
LISBON = "b_lisbon_talks.txt"
RAIN = "c_rain.txt"
ARTICLES = {
    DAKAR: (
        "مباحثات الصيد البحري في داكار\n\n"
        "التقى وزير الصيد السنغالي نظيره البرتغالي، الخميس، في العاصمة داكار لبحث اتفاق الصيد البحري بين البلدين. "
        "وتناول اللقاء حصص صيد التونة في المياه الإقليمية وتجديد تراخيص السفن.\n\n"
        "وأعلنت منظمة البحار الزرقاء دعمها لاتفاق الصيد البحري، وقالت إنه يحمي المخزون السمكي. "
        "ونقلت إذاعة الساحل عن الوزير قوله إن المفاوضات ستستمر حتى نهاية العام.\n"
    ),
    LISBON: (
        "جولة ثانية من مباحثات الصيد في لشبونة\n\n"
        "عقد وزير الصيد السنغالي ونظيره البرتغالي جولة ثانية من المباحثات، الثلاثاء، في لشبونة حول اتفاق الصيد البحري. "
        "وركزت الجولة على مراقبة السفن بالأقمار الصناعية وتبادل بيانات المصيد.\n\n"
        "ورحبت منظمة حماية الشعاب المرجانية باتفاق الصيد البحري، ودعت إلى توسيعه ليشمل المحميات. "
        "وأكد الجانبان أن الاتفاق سيوقع خلال الربيع المقبل.\n"
    ),
    RAIN: (
        "أمطار غزيرة في المدن الساحلية\n\n"
        "هطلت أمطار غزيرة على المدن الساحلية طوال الأسبوع، وأغلقت السلطات عدداً من الطرق. "
        "وقالت هيئة الأرصاد إن الأمطار ستتراجع تدريجياً مع نهاية الشهر.\n"
    ),
}
TWO_PARTS = (
    "في أي يوم التقى وزير الصيد السنغالي بنظيره البرتغالي في داكار، وفي أي يوم التقيا في لشبونة؟"
)
ONE_PART = "في أي يوم التقى وزير الصيد السنغالي بنظيره البرتغالي في داكار؟"
LISTING = "ما المنظمات التي دعمت اتفاق الصيد البحري في هذه المقالات؟"


@pytest.fixture(scope="module")
def treaty_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The three articles above, ingested into a fresh store (hashing embedder, no LLM)."""
    root = tmp_path_factory.mktemp("multi")
    (root / "articles").mkdir()
    for name, text in ARTICLES.items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    settings = offline_settings(root / "articles", root / "store")
    ingest(settings)
    return settings


@pytest.fixture(scope="module")
def treaty(treaty_settings: Settings) -> Assistant:
    return Assistant(treaty_settings, open_index(treaty_settings), llm=None)


def sources(answer: Answer) -> list[str]:
    return [c.source for c in answer.citations]


def test_a_two_part_question_cites_the_article_answering_each_part(treaty: Assistant) -> None:
    answer = treaty.ask(TWO_PARTS)
    assert not answer.abstained
    assert {DAKAR, LISBON} <= set(sources(answer))
    assert RAIN not in sources(answer)
    quotes = " ".join(c.quote for c in answer.citations)
    assert "الخميس" in quotes and "الثلاثاء" in quotes


def test_a_single_article_question_stays_in_its_article(treaty: Assistant) -> None:
    answer = treaty.ask(ONE_PART)
    assert not answer.abstained
    assert set(sources(answer)) == {DAKAR}
    assert "الخميس" in " ".join(c.quote for c in answer.citations)


def test_a_listing_question_gathers_the_item_from_each_article(treaty: Assistant) -> None:
    answer = treaty.ask(LISTING)
    assert not answer.abstained
    quotes = " ".join(c.quote for c in answer.citations)
    assert "البحار الزرقاء" in quotes and "حماية الشعاب" in quotes
    assert set(sources(answer)) == {DAKAR, LISBON}


def test_every_quote_of_a_multi_article_answer_is_the_file_text_at_its_offsets(
    treaty: Assistant,
) -> None:
    for question in (TWO_PARTS, LISTING):
        for c in treaty.ask(question).citations:
            assert ARTICLES[c.source][c.start : c.end] == c.quote


def test_the_cli_answers_a_two_part_question_from_both_articles(
    treaty_settings: Settings, cli_runner: Callable[..., object]
) -> None:
    done = cli_runner(treaty_settings, "ask", TWO_PARTS, "--json")
    assert done.returncode == 0, done.stderr
    cited = {c["source"] for c in json.loads(done.stdout)["citations"]}
    assert cited == {DAKAR, LISBON}


@pytest.mark.parametrize(
    ("segment", "language", "wanted"),
    [
        ("في أي يوم التقيا في بكين", "ar", "weekday"),
        ("On which day did they meet?", "en", "weekday"),
        ("متى أجرى الوزيران الاتصال", "ar", "date"),
        ("When did they call?", "en", "date"),
        ("What did he say when they met?", "en", None),
        ("ماذا قال الوزير عن الاتفاق", "ar", None),
        ("", "ar", None),
    ],
)
def test_the_answer_type_a_question_asks_for_is_recognised(
    segment: str, language: str, wanted: str | None
) -> None:
    assert asked_type(segment, language) == wanted


@pytest.mark.parametrize(
    ("text", "wanted", "expected"),
    [
        ("عقد الوزيران، الخميس، اجتماعاً", "weekday", True),
        ("وفي 20 مارس الماضي زار موسكو", "weekday", False),
        ("وفي 20 مارس الماضي زار موسكو", "date", True),
        ("خلال محادثة هاتفية أمس الاثنين", "date", True),
        ("They met on Tuesday in Lisbon.", "weekday", True),
        ("وخميس رجل من القرية", "weekday", False),
        ("أي نص", None, True),
    ],
)
def test_a_sentence_carries_the_date_asked_for_only_with_a_date_expression(
    text: str, wanted: str | None, expected: bool
) -> None:
    assert carries(text, wanted) is expected


def test_a_question_joining_two_settings_has_a_part_for_each() -> None:
    parts = question_parts(analyse_query(TWO_PARTS))
    assert len(parts) == 2
    assert all(p.wants == "weekday" for p in parts)
    assert parts[0].slots and parts[1].slots and not parts[0].slots & parts[1].slots


def test_a_plain_question_has_no_parts_and_a_bare_question_word_is_not_a_part() -> None:
    assert question_parts(analyse_query("ماذا قال الوزير عن اتفاق الصيد البحري؟")) == []
    parts = question_parts(analyse_query("When and where will the three countries meet again?"))
    assert [p.wants for p in parts] == ["date"]


def _sentence(text: str, score: float, filled: set[str], start: int) -> Sentence:
    chunk = Chunk(
        chunk_id=f"c{start}", source="a.txt", text=text, start=start, end=start + len(text)
    )
    return Sentence(
        chunk, Span(start, start + len(text)), text, score, 0, frozenset(filled), None, 1.0
    )


def test_pick_keeps_a_sentence_of_the_same_article_that_answers_the_whole_question_by_itself() -> (
    None
):
    weights = {"t0": 1.0, "t1": 1.0}
    best = _sentence("الأولى تجيب عن السؤال كله.", 1.0, {"t0", "t1"}, 0)
    whole = _sentence("والثالثة تجيب عنه كله أيضاً.", 0.7, {"t0", "t1"}, 100)
    partial = _sentence("والرابعة تذكر نصفه.", 0.7, {"t0"}, 200)
    chosen = pick([best, whole, partial], weights)
    assert whole in chosen and partial not in chosen


def test_for_what_x_said_a_same_article_sentence_naming_x_with_no_known_speaker_is_kept() -> None:
    xi = Speaker("xi", ("Xi",), ("شي",))
    weights = {"t0": 1.0, "s:xi": 1.5}
    best = _sentence("قال شي إن الزيارة رحلة صداقة.", 1.0, {"t0", "s:xi"}, 0)
    named = _sentence("وعبر شي عن ثقته بأن الزيارة ستعطي زخما جديدا.", 0.7, {"t0", "s:xi"}, 100)
    other = Sentence(
        Chunk(chunk_id="b", source="b.txt", text=named.text, start=0, end=len(named.text)),
        Span(0, len(named.text)),
        named.text,
        0.7,
        0,
        named.filled,
        None,
        1.0,
    )
    assert named in pick([best, named], weights, asked=xi)
    assert other not in pick([best, other], weights, asked=xi)
