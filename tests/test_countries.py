"""Refusing a question about one country that an article about another would answer
(issue 13): the countries a question names, those an article mentions, the rule over
chosen sentences, and the service refusing such a question over articles written here
while answering the same question about the country the article is about."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.countries import mentioned_countries, named_countries
from assistant.extractive import Sentence, names_other_country
from assistant.models import Chunk, Span
from assistant.retrieval import analyse_query
from tests.conftest import assistant_over

TUNISIA_ARTICLE = (
    "تونس تتوقع صادرات قياسية من زيت الزيتون\n\n"
    "توقعت وزارة الفلاحة التونسية أن تبلغ صادرات البلاد من زيت الزيتون هذا العام نحو 240 ألف طن. "
    "ويمثل زيت الزيتون نحو نصف الصادرات الفلاحية، وفق بيانات رسمية.\n\n"
    "وقال متحدث باسم الوزارة إن الموسم استثنائي من حيث الكميات.\n"
)
SOLAR_ARTICLE = (
    "المغرب يعلن خطة لمجمع ضخم للطاقة الشمسية\n\n"
    "أعلن المغرب أمس عن خطة لإنشاء مجمع ضخم للطاقة الشمسية في الجنوب بقدرة 2.4 غيغاواط. "
    "وقالت وزيرة الطاقة إن المشروع سيخفض واردات المملكة من الطاقة خلال العقد المقبل.\n"
)
MOROCCO_QUESTION = "كم بلغت صادرات المغرب من زيت الزيتون هذا العام؟"
TUNISIA_QUESTION = "كم بلغت صادرات تونس من زيت الزيتون هذا العام؟"


@pytest.mark.parametrize(
    ("question", "codes"),
    [
        ("", set()),
        ("ا", set()),
        (MOROCCO_QUESTION, {"MA"}),
        ("ماذا قال وزير خارجية الصين عن أوكرانيا والولايات المتحدة؟", {"CN", "UA", "US"}),
        ("ما موقف السودان والمغرب؟", {"SD", "MA"}),  # proclitic و and the article ال set aside
        ("ماذا حدث في مايو؟", set()),  # May, not Mayotte (مايوت)
        ("هل قال ذلك أو غيره؟", set()),  # "or", not Palau (بالاو)
        ("ما الوضع المالي للمشروع؟", set()),  # financial, not Mali: an everyday word
        ("What did Wang Yi say about China and the United States?", {"CN", "US"}),
        ("What did the chinese minister say about china?", set()),  # not written as a name
        ("What did Lavrov say about Russia's role?", {"RU"}),
        ("ماذا قال Lavrov عن Ukraine؟", {"UA"}),  # mixed scripts
        ("What did Turkey say about the marshes?", {"TR"}),  # the name CLDR changed ("Türkiye")
        ("What did Türkiye and Turkiye say?", {"TR"}),  # CLDR's name, and typed without accents
        ("Did Cote d’Ivoire, Ivory Coast or Côte d'Ivoire sign?", {"CI"}),  # apostrophes, accents
        ("What did Burma say?", {"MM"}),  # the name in CLDR's brackets: "Myanmar (Burma)"
        ("What did the UAE, the UK and the U.S. say?", {"AE", "GB", "US"}),  # short forms
        ("Did the turkey prices rise?", set()),  # the bird, not written as a name
        ("Besides Britain and France, which countries could join?", {"GB", "FR"}),
        ("ماذا قالت بريطانيا وأمريكا؟", {"GB", "US"}),  # the everyday Arabic names
    ],
)
def test_a_question_names_the_countries_it_writes_as_whole_words(question: str, codes: set[str]) -> None:
    assert named_countries(question) == codes


@pytest.mark.parametrize(
    ("text", "code", "mentioned"),
    [
        ("", "MA", False),
        (SOLAR_ARTICLE, "MA", True),
        (TUNISIA_ARTICLE, "MA", False),
        (TUNISIA_ARTICLE, "TN", True),
        ("قال وزير الري السوداني إن بلاده تؤيد الآلية", "SD", True),  # the adjective: "سود" starts "سودان"
        ("أعلنت الحكومة المغربية الخطة", "MA", True),
        ("زار الوزير الولايات المتحدة الأسبوع الماضي", "US", True),
        ("هي مبادرة من بريطانيا وفرنسا", "GB", True),  # the everyday name, not CLDR's المملكة المتحدة
        ("هي مبادرة من بريطانيا وفرنسا", "US", False),
        ("وصل الوفد إلى الإمارات أمس", "AE", True),  # CLDR: الإمارات العربية المتحدة
        ("ذكرت صحف في ميانمار", "MM", True),  # CLDR: ميانمار (بورما)
    ],
)
def test_an_article_mentions_a_country_by_its_name_or_its_adjective(text: str, code: str, mentioned: bool) -> None:
    assert (code in mentioned_countries(text)) is mentioned


def sentence_from(source: str, text: str) -> Sentence:
    chunk = Chunk(chunk_id=f"{source}:0", source=source, text=text, start=0, end=len(text))
    return Sentence(chunk=chunk, span=Span(0, len(text)), text=text, score=1.0, rank=0)


COUNTRIES = {"tunisia.txt": frozenset({"TN"}), "morocco.txt": frozenset({"MA"})}


@pytest.mark.parametrize(
    ("question", "sources", "refused"),
    [
        (MOROCCO_QUESTION, ["tunisia.txt"], True),
        (TUNISIA_QUESTION, ["tunisia.txt"], False),
        (MOROCCO_QUESTION, ["tunisia.txt", "morocco.txt"], False),  # one quoted article mentions it
        ("كم بلغت صادرات زيت الزيتون هذا العام؟", ["tunisia.txt"], False),  # no country named
        (MOROCCO_QUESTION, [], False),  # nothing quoted: nothing to judge here
    ],
)
def test_a_country_no_quoted_article_mentions_refuses_the_answer(
    question: str, sources: list[str], refused: bool
) -> None:
    chosen = [sentence_from(source, "جملة.") for source in sources]
    assert names_other_country(analyse_query(question), chosen, COUNTRIES.__getitem__) is refused


def test_without_the_articles_countries_nothing_is_refused() -> None:
    assert not names_other_country(analyse_query(MOROCCO_QUESTION), [sentence_from("tunisia.txt", "جملة.")], None)


def test_a_question_about_another_country_is_refused_and_the_same_about_the_article_answered(
    tmp_path: Path,
) -> None:
    """Without the rule the Morocco question is answered with the Tunisian figure."""
    assistant = assistant_over(tmp_path, {"001_tunisia.txt": TUNISIA_ARTICLE, "002_solar.txt": SOLAR_ARTICLE})
    refused = assistant.ask(MOROCCO_QUESTION)
    assert refused.abstained and refused.citations == ()
    answered = assistant.ask(TUNISIA_QUESTION)
    assert not answered.abstained
    assert answered.citations[0].source == "001_tunisia.txt"
    assert "240" in " ".join(c.quote for c in answered.citations)
