"""English intros name the person the question names, for that person's words only.

The attribution's table knows a few people (assistant.speakers); anyone else asked about
by name ("What did Leila Benali say …?") used to be introduced as ``From "<title>"``. The
quote is now introduced by the name as the question writes it when the sentence is that
person's words, and a sentence by someone else (even one that names them) is not.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.extractive import short_title
from assistant.settings import Settings
from tests.conftest import e5_assistant_over

PIPELINE_TITLE = "المغرب يوقع اتفاقا لمد خط أنابيب الغاز بين الناظور والمحمدية"
PIPELINE = (
    f"{PIPELINE_TITLE}\n\n"
    "وقعت الحكومة المغربية أمس اتفاقا لمد خط أنابيب الغاز الطبيعي بين الناظور والمحمدية بطول 400 كيلومتر. "
    "وقالت وزيرة الانتقال الطاقي ليلى بنعلي إن خط أنابيب الغاز سيؤمن حاجات محطات الكهرباء حتى عام 2040. "
    "وأضافت أن أشغال خط الأنابيب ستبدأ في الربيع المقبل. "
    "من جهته، قال الخبير الطاقي عمر الفاسي إن خط أنابيب الغاز مكلف وإن تمويله لم يتضح بعد.\n"
)
CHESS_TITLE = "بطولة الشطرنج العربية تنطلق في عمان بمشاركة 120 لاعبا"
CHESS = (
    f"{CHESS_TITLE}\n\n"
    "انطلقت أمس في عمان بطولة الشطرنج العربية بمشاركة 120 لاعبا من 15 دولة. "
    "وقال اللاعب المصري باسم أمين إن مستوى البطولة مرتفع هذا العام. "
    # The coach names the player: his words are not the player's.
    "وقال مدرب المنتخب الأردني سامي خليل إن باسم أمين هو المرشح الأبرز للفوز بلقب البطولة.\n"
)
GAS_TITLE = "الجزائر تعلن زيادة إنتاج الغاز الطبيعي في حقل حاسي الرمل"
GAS = (
    f"{GAS_TITLE}\n\n"
    "أعلنت الحكومة الجزائرية أمس خطة لزيادة إنتاج الغاز الطبيعي في حقل حاسي الرمل بنسبة 15 في المئة. "
    "وقال وزير الطاقة إن إنتاج الغاز سيبلغ 110 مليارات متر مكعب بحلول عام 2027. "
    "وقال وزير الخارجية إن صادرات الغاز إلى أوروبا ستتضاعف بفضل زيادة الإنتاج.\n"
)
ARTICLES = {"001_pipeline.txt": PIPELINE, "002_chess.txt": CHESS, "003_gas.txt": GAS}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return e5_assistant_over(tmp_path_factory.mktemp("intros"), ARTICLES)


def _intro_of(answer_text: str, arabic_words: str) -> str:
    """The English intro of the answer's line quoting the sentence with ``arabic_words``."""
    lines = [line for line in answer_text.splitlines() if arabic_words in line]
    assert len(lines) == 1, answer_text
    return lines[0].split(": «", 1)[0]


@pytest.mark.parametrize(
    ("question", "name", "arabic", "title"),
    [
        (
            "What did Leila Benali say about the gas pipeline?",
            "Leila Benali",
            "ليلى بنعلي",
            PIPELINE_TITLE,
        ),
        (
            "What did Omar El Fassi say about the gas pipeline?",
            "Omar El Fassi",
            "عمر الفاسي",
            PIPELINE_TITLE,
        ),
        (
            "What did Bassem Amin say about the championship?",
            "Bassem Amin",
            "اللاعب المصري",
            CHESS_TITLE,
        ),
    ],
    ids=["minister", "expert-with-particle", "chess-player"],
)
def test_a_person_the_lexicon_does_not_know_is_named_as_the_question_writes_them(
    assistant, question: str, name: str, arabic: str, title: str
) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.ask(question)
    assert not answer.abstained
    assert _intro_of(answer.text, arabic) == f'- {name}, in "{short_title(title)}"'


def test_a_sentence_by_someone_else_that_names_the_asked_person_is_not_theirs(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.ask("What did Bassem Amin say about the championship?")
    assert _intro_of(answer.text, "سامي خليل") == f'- From "{short_title(CHESS_TITLE)}"'
    assert _intro_of(answer.text, "انطلقت أمس") == f'- From "{short_title(CHESS_TITLE)}"'


def test_the_other_speakers_own_question_names_him_for_that_sentence(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.ask("What did Sami Khalil say about Bassem Amin?")
    assert _intro_of(answer.text, "سامي خليل") == f'- Sami Khalil, in "{short_title(CHESS_TITLE)}"'
    assert "Bassem Amin," not in answer.text


def test_a_speaker_asked_by_a_title_the_lexicon_translates_is_introduced_by_it(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.ask("What did the energy minister say about gas production?")
    assert (
        _intro_of(answer.text, "وزير الطاقة")
        == f'- The energy minister, in "{short_title(GAS_TITLE)}"'
    )
    # Another minister's words, on the same gas, are not the energy minister's.
    assert "وزير الخارجية" not in answer.text or (
        _intro_of(answer.text, "وزير الخارجية") == f'- From "{short_title(GAS_TITLE)}"'
    )


def test_a_title_with_a_word_the_lexicon_lacks_is_not_used_to_name_anyone(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.ask("What did the foreign minister say about gas exports?")
    assert "minister," not in answer.text.lower()


def test_an_arabic_question_about_the_same_person_gets_no_english_intro(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.ask("ماذا قالت ليلى بنعلي عن خط أنابيب الغاز؟")
    assert answer.text.splitlines()[1] == f"- «{answer.citations[0].quote}» [1]"


def test_the_cli_introduces_the_quote_by_the_asked_name(
    tmp_path: Path, cli_runner: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(
        data_dir=folder, store_dir=tmp_path / "store", embedder="e5-engine", allow_downloads=False
    )
    ingested = cli_runner(settings, "ingest")
    assert ingested.returncode == 0, ingested.stderr
    done = cli_runner(settings, "ask", "What did Leila Benali say about the gas pipeline?")
    assert done.returncode == 0, done.stderr
    if "e5-engine" not in done.stdout:
        pytest.skip("the bundled e5 engine is not usable here")
    assert (
        f'- Leila Benali, in "{short_title(PIPELINE_TITLE)}": «وقالت وزيرة الانتقال الطاقي'
        in done.stdout
    )
