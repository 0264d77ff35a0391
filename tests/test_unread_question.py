"""Refusing an English question of which the lexicon knows no word when the model reads
nothing in it ("asdfgh", "Tell me about quantum computing"), and still answering the
everyday-English questions in words the lexicon lacks that the articles answer (issue 13):
through the service and the CLI, with the bundled e5 engine (whose similarities decide),
over the five bundled articles and two written here."""

from __future__ import annotations

import pytest

from assistant import unread_question
from assistant.extractive import ABSTAIN
from tests.conftest import BUNDLED_ARTICLES, e5_assistant_over

DESALINATION = (
    "المغرب يدشن محطة لتحلية مياه البحر قرب أكادير\n\n"
    "دشن المغرب محطة جديدة لتحلية مياه البحر قرب مدينة أكادير بطاقة تبلغ 275 ألف متر مكعب "
    "يوميا، لتزويد السكان بمياه الشرب وري الأراضي الزراعية في سهل اشتوكة.\n\n"
    "وقالت وزيرة الانتقال الطاقي إن المحطة تعمل جزئيا بالطاقة المتجددة، وإن كلفتها بلغت "
    "4.4 مليارات درهم.\n"
)
CHESS = (
    "اختتام البطولة العربية للشطرنج في عمّان\n\n"
    "اختتمت في عمّان البطولة العربية للشطرنج بمشاركة 120 لاعبا ولاعبة من 15 دولة عربية. "
    "وفازت المصرية شروق وفاء بلقب السيدات، فيما فاز الجزائري بلال بلحاج بلقب الرجال.\n\n"
    "وحصل كل فائز على جائزة مالية قدرها 8000 دولار.\n"
)
UNREAD = ["asdfgh", "xyzzy plugh", "Tell me about quantum computing", "How do I bake bread?"]
# Every content word of these is missing from the lexicon too; the articles answer them.
TWINS = {
    "Who won the women's title at the chess championship?": "شروق وفاء",
    "How much prize money did each winner get?": "8000 دولار",
    "How much did the plant cost?": "4.4 مليارات درهم",
}


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An e5 assistant over the bundled articles, a desalination and a chess article."""
    articles = {
        path.name: path.read_text(encoding="utf-8") for path in BUNDLED_ARTICLES.glob("*.txt")
    }
    articles.update({"desalination.txt": DESALINATION, "chess.txt": CHESS})
    return e5_assistant_over(tmp_path_factory.mktemp("news"), articles)


@pytest.mark.parametrize("question", UNREAD)
def test_words_nothing_in_the_articles_is_about_are_refused(news, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = news.ask(question)
    assert answer.abstained and not answer.citations
    assert answer.text == ABSTAIN["en"]


def test_without_the_check_they_were_quoted(news, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(unread_question, "MIN_PROMINENCE", 0.0)
    assert all(not news.ask(question).abstained for question in UNREAD)


@pytest.mark.parametrize(("question", "quoted"), TWINS.items())
def test_questions_in_words_the_lexicon_lacks_are_still_answered(
    news, question: str, quoted: str
) -> None:  # type: ignore[no-untyped-def]
    answer = news.ask(question)
    assert not answer.abstained
    assert any(quoted in citation.quote for citation in answer.citations)


def test_the_cli_refuses_gibberish(news, cli_runner) -> None:  # type: ignore[no-untyped-def]
    done = cli_runner(news.settings, "ask", "xyzzy plugh")
    assert done.returncode == 0, done.stderr
    assert "The articles do not say" in done.stdout and "Quoted from" not in done.stdout
