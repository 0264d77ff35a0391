"""Topic summaries a reader can trust: an empty or over-long topic is refused with a message
(it used to summarise every article, or report "no indexed article matches"), and a topic
whose words no article holds (an English word the bridge cannot put into Arabic) summarises
only the article closest in meaning, with a note saying so, instead of three unrelated ones.

Through ``Assistant.summarize`` over planted articles (the bundled e5 engine, which ranks by
meaning) and through ``python -m assistant summarize``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import UserError
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.summaries import TOPIC_NOT_FOUND
from tests.conftest import e5_assistant_over, offline_settings

CHESS = "chess.txt"
WATER = "water.txt"
ARTICLES = {
    CHESS: (
        "بطولة الشطرنج العربية تختتم في عمّان\n"
        "اختتمت في عمّان بطولة العرب للشطرنج الكلاسيكي بمشاركة 84 لاعباً من 15 دولة عربية.\n"
        "وتوجت المصرية شروق وفاء بلقب فئة السيدات بعد أن جمعت سبع نقاط ونصف النقطة.\n"
        "وقال رئيس الاتحاد الأردني للشطرنج إن النسخة المقبلة من البطولة ستقام في الدوحة.\n"
    ),
    WATER: (
        "محطة تحلية جديدة قرب أكادير تبدأ الإنتاج\n"
        "بدأ تشغيل محطة تحلية مياه البحر قرب مدينة أكادير بطاقة 400 ألف متر مكعب يومياً.\n"
        "وقال مدير المكتب الوطني للماء إن المحطة ستؤمن مياه الشرب لنحو مليوني نسمة.\n"
        "ويعاني المغرب منذ سنوات من جفاف خفض مخزون السدود إلى أقل من ربع طاقتها.\n"
    ),
}
NOTE_START = {language: text.split("{")[0] for language, text in TOPIC_NOT_FOUND.items()}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return e5_assistant_over(tmp_path_factory.mktemp("topics"), ARTICLES)


@pytest.mark.parametrize("topic", ["", "   ", "\u200f\t"])
def test_an_empty_topic_is_refused_rather_than_summarising_everything(
    assistant: Assistant, topic: str
) -> None:
    with pytest.raises(UserError, match="^The topic is empty"):
        assistant.summarize(topic=topic)


def test_a_topic_longer_than_a_question_may_be_is_refused(assistant: Assistant) -> None:
    limit = assistant.settings.max_question_chars
    with pytest.raises(UserError, match="^The topic is too long"):
        assistant.summarize(topic="water " * limit)


def test_a_topic_whose_words_no_article_holds_summarises_one_article_and_says_so(
    assistant: Assistant,
) -> None:
    answer = assistant.summarize(topic="chess")
    assert len({c.source for c in answer.citations}) == 1, answer.text
    assert len(answer.notes) == 1 and answer.notes[0].startswith(NOTE_START["en"])
    assert '"chess"' in answer.notes[0]


def test_a_topic_an_article_uses_is_summarised_from_it_without_the_note(
    assistant: Assistant,
) -> None:
    answer = assistant.summarize(topic="الشطرنج")
    assert {c.source for c in answer.citations} == {CHESS}
    assert answer.notes == ()


def test_the_note_follows_the_language_of_an_arabic_topic(assistant: Assistant) -> None:
    answer = assistant.summarize(topic="كرة السلة")  # basketball: neither article has the words
    assert len({c.source for c in answer.citations}) == 1
    assert answer.notes and answer.notes[0].startswith(NOTE_START["ar"])


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ("", "error: The topic is empty."),
        ("  ", "error: The topic is empty."),
        ("x" * 2001, "error: The topic is too long"),
    ],
)
def test_the_command_line_refuses_an_empty_or_over_long_topic_in_one_line(
    run_cli,
    settings: Settings,
    topic: str,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    done = run_cli("summarize", "--topic", topic)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(message) and len(done.stderr.splitlines()) == 1
    assert not Path(settings.store_dir).exists(), "refused before opening (or building) the index"


def test_the_command_line_prints_the_note_under_a_topic_summary(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "own" / "articles"
    folder.mkdir(parents=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = offline_settings(folder, tmp_path / "own" / "store").model_copy(
        update={"embedder": "e5-engine"}
    )
    done = run_cli("summarize", "--topic", "chess", settings=settings)
    assert done.returncode == 0, done.stderr
    if "embedder e5-engine" not in done.stdout:
        pytest.skip("the bundled e5 engine is not usable here")
    assert f"note: {NOTE_START['en']}" in done.stdout
    cited = {line.split()[1] for line in done.stdout.splitlines() if line.startswith("[")}
    assert len(cited) == 1, done.stdout
