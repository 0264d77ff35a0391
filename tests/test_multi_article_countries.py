"""Questions about two countries answered in two articles, and questions asking a number
(issue 14): each article that contributes is cited with its own fact, and the sentence that
carries the asked quantity is quoted rather than one that is merely on the topic.

Small articles written here are ingested into a real Chroma + BM25 store with the real
splitter (hashing embedder, no LLM); the assistant answers offline through
:class:`Assistant`. The country names come from CLDR (:mod:`assistant.countries`), not from
the bridge's lexicon, which knows neither Chile nor Bolivia.
"""

from __future__ import annotations

import pytest

from assistant.countries import arabic_forms, country_of_terms, english_country
from assistant.index import open_index
from assistant.ingest import ingest
from assistant.models import Answer
from assistant.multi_article import asked_type, carries, country_parts, question_parts
from assistant.retrieval import analyse_query
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import offline_settings
from tests.helpers_articles import BOLIVIA, CHILE, EXPORTERS

GAS = "c_desert_gas.txt"
RAIN = "d_rain.txt"
ARTICLES = {
    **EXPORTERS,
    GAS: (
        "شركة الواحة توقع عقدا لتوريد الغاز إلى إيطاليا\n\n"
        "وقعت شركة الواحة للطاقة، أمس الأربعاء، عقدا طويل الأجل لتوريد الغاز الطبيعي إلى إيطاليا عبر خط الأنابيب البحري. "
        "وأصبحت شركة الواحة في السنوات الأخيرة أكبر مورد للغاز الطبيعي إلى إيطاليا. "
        "وتبلغ الكميات المتفق عليها 6 مليارات متر مكعب كل عام.\n"
    ),
    RAIN: (
        "أمطار غزيرة في المدن الساحلية\n\n"
        "هطلت أمطار غزيرة على المدن الساحلية طوال الأسبوع، وأغلقت السلطات عدداً من الطرق. "
        "وقالت هيئة الأرصاد إن الأمطار ستتراجع تدريجياً مع نهاية الشهر.\n"
    ),
}
TWO_COUNTRIES = "ما نسبة نمو الصادرات التي ذكرها الخبيران في تشيلي وبوليفيا؟"
HOW_MUCH = "كم تورد شركة الواحة من الغاز الطبيعي إلى إيطاليا؟"


@pytest.fixture(scope="module")
def exporters(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The four articles above, ingested into a fresh store (hashing embedder, no LLM)."""
    root = tmp_path_factory.mktemp("countries")
    (root / "articles").mkdir()
    for name, text in ARTICLES.items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    settings: Settings = offline_settings(root / "articles", root / "store")
    ingest(settings)
    return Assistant(settings, open_index(settings), llm=None)


def quoted(answer: Answer) -> str:
    return " ".join(c.quote for c in answer.citations)


def test_a_question_about_two_countries_cites_each_article_with_its_own_fact(
    exporters: Assistant,
) -> None:
    answer = exporters.ask(TWO_COUNTRIES)
    assert not answer.abstained
    assert {c.source for c in answer.citations} == {CHILE, BOLIVIA}
    assert "12 في المئة" in quoted(answer) and "30 في المئة" in quoted(answer)


def test_a_question_asking_how_much_quotes_the_sentence_with_the_quantity(
    exporters: Assistant,
) -> None:
    answer = exporters.ask(HOW_MUCH)
    assert not answer.abstained
    assert {c.source for c in answer.citations} == {GAS}
    assert "6 مليارات متر مكعب" in quoted(answer)


def test_every_quote_is_the_file_text_at_its_offsets(exporters: Assistant) -> None:
    for question in (TWO_COUNTRIES, HOW_MUCH):
        for c in exporters.ask(question).citations:
            assert ARTICLES[c.source][c.start : c.end] == c.quote


def test_countries_the_passages_name_together_make_no_parts() -> None:
    analysis = analyse_query(TWO_COUNTRIES)
    chile, bolivia = (frozenset(f"t{i}" for i, s in enumerate(analysis.slots) if s & set(terms))
                      for terms in (("تشيل",), ("وليفي", "وليف")))
    assert chile and bolivia
    apart = [("a", chile), ("b", bolivia)]
    together = [("a", chile | bolivia), ("b", chile | bolivia)]
    assert [p.slots for p in country_parts(analysis, apart)] == [chile, bolivia]
    assert country_parts(analysis, together) == []


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("Algeria", "DZ"),
        ("Algerian", "DZ"),
        ("Kuwaiti", "KW"),
        ("Kuwait's", "KW"),
        ("Palestinian", "PS"),
        ("Italian", "IT"),
        ("Jordanians", "JO"),
        ("Sudanese", "SD"),
        ("Nigerian", "NG"),
        ("Which", None),
        ("Golden", None),
        ("algeria", None),
    ],
)
def test_an_english_country_name_or_adjective_gives_the_country(word: str, code: str | None) -> None:
    assert english_country(word) == code


def test_a_country_s_arabic_forms_include_its_adjectives() -> None:
    assert arabic_forms("DZ") == ("الجزائر", "الجزائري", "الجزائرية")
    assert arabic_forms("IT") == ("إيطاليا", "إيطالي", "إيطالية")
    assert arabic_forms("CL") == ("تشيلي", "تشيلية")


def test_the_noun_and_the_adjective_of_a_country_name_the_same_country() -> None:
    from assistant.arabic import analyse

    assert country_of_terms(set(analyse("الأردن"))) == country_of_terms(set(analyse("الأردنية"))) == "JO"
    assert country_of_terms(set(analyse("الاجتماع"))) is None
    # words of a name of several words are everyday words, not the country
    assert country_of_terms(set(analyse("منطقة"))) is country_of_terms(set(analyse("المحيط"))) is None


def test_an_english_question_reaches_a_country_the_lexicon_lacks() -> None:
    analysis = analyse_query("How much gas will Algeria send to Italy?")
    countries = [analysis.slots[i] for i, phrase in analysis.name_slots.items() if phrase in ("Algeria", "Italy")]
    assert len(countries) == 2
    assert "الجزائر" in analysis.arabic_text and "إيطاليا" in analysis.arabic_text
    assert "Algeria" not in analysis.untranslated


def test_a_name_transliterated_from_the_corpus_vocabulary_is_a_slot() -> None:
    analysis = analyse_query("How many students sat the Tawjihi?", vocabulary={"التوجيهي", "امتحان"})
    assert any("توجيه" in slot for slot in analysis.slots)


@pytest.mark.parametrize(
    ("segment", "language", "wanted"),
    [
        ("How many cargoes did Kuwait receive?", "en", "number"),
        ("how much gas will Algeria send", "en", "number"),
        ("كم ميغاواط تستورد الكويت", "ar", "number"),
        ("وبأي نسبة يحق للشركة رفع الكميات", "ar", "number"),
        ("ما عدد الطلاب", "ar", "number"),
        ("What did the minister say?", "en", None),
    ],
)
def test_a_question_asking_a_quantity_asks_for_a_number(
    segment: str, language: str, wanted: str | None
) -> None:
    assert asked_type(segment, language) == wanted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("تورد بموجبه 6 مليارات متر مكعب", True),
        ("استقبلت أربع عشرة شحنة", True),
        ("في زيارة رسمية تستغرق يومين.", True),
        ("بعد تراجع الواردات منذ عام 2022.", False),  # a year is a date
        ("وفي 20 مارس الماضي زار موسكو", False),  # so is a day of the month
        ("إن شهاداتهم ستكون معتمدة", False),  # "ست" begins a verb here, not "six"
    ],
)
def test_a_sentence_carries_a_number_only_with_a_quantity(text: str, expected: bool) -> None:
    assert carries(text, "number") is expected


def test_and_with_a_preposition_and_a_question_word_opens_a_second_part() -> None:
    question = "كم ميغاواط تستورد الكويت من الربط الخليجي، وبأي نسبة يحق للشركة الإيطالية رفع كميات الغاز؟"
    parts = question_parts(analyse_query(question))
    assert len(parts) == 2
    assert all(p.wants == "number" for p in parts)
    assert parts[0].slots and parts[1].slots and not parts[0].slots & parts[1].slots


def test_a_sentence_naming_only_the_question_s_name_is_not_kept_as_answering_as_much() -> None:
    from assistant.extractive import Sentence, pick
    from assistant.models import Chunk, Span

    text = "كشفت البعثة في سقارة مقبرة. وتضم المقبرة نقوشا. وتعد سقارة موقعا أثريا."
    chunk = Chunk(chunk_id="c", source="a.txt", text=text, start=0, end=len(text))
    first, last = text.index("كشفت"), text.index("وتعد")
    best = Sentence(chunk, Span(first, text.index("وتضم") - 1), "", 1.0, 0, frozenset({"t0"}), alone=0.25)
    same_name = Sentence(chunk, Span(last, len(text)), "", 0.7, 0, frozenset({"t0"}), alone=0.25)
    assert pick([best, same_name], {"t0": 1.0}) == [best]
    stronger = Sentence(chunk, Span(last, len(text)), "", 0.7, 0, frozenset({"t0"}), alone=0.5)
    assert pick([best, stronger], {"t0": 1.0}) == [best, stronger]


@pytest.mark.parametrize(
    ("question", "listing"),
    [
        ("How much will the new cap cost the bank each month?", False),
        ("How much water will the plant produce each year?", False),
        ("What did each minister say about the treaty?", True),
        ("Which organisations backed the treaty in these articles?", True),
    ],
)
def test_each_with_a_time_unit_is_a_rate_not_a_listing(question: str, listing: bool) -> None:
    from assistant.multi_article import list_head

    assert (list_head(analyse_query(question)) is not None) is listing


def test_a_part_naming_a_country_is_answered_only_where_that_country_is_named() -> None:
    from assistant.extractive import Sentence
    from assistant.models import Chunk, Span
    from assistant.multi_article import Part, answers

    text = "ويتوقع العجز المائي في البلاد 10 مليارات متر مكعب سنويا."
    chunk = Chunk(chunk_id="c", source="iraq.txt", text=text, start=0, end=len(text))
    sentence = Sentence(chunk, Span(0, len(text)), text, 1.0, 0, frozenset({"t1", "t2"}))
    jordan_part = Part(frozenset({"t0", "t1"}), "number", countries=frozenset({"t0"}))
    assert not answers(jordan_part, sentence, frozenset({"t1", "t2", "t3"}))
    assert answers(jordan_part, sentence, frozenset({"t0", "t1"}))


def test_a_country_named_by_cldr_is_a_found_part_of_a_longer_name_not_a_lexicon_head() -> None:
    from assistant.arabic import words
    from assistant.retrieval import absent_name_words

    corpus = "قال أستاذ في جامعة الكويت إن الأزمة بدأت منذ سنوات."
    question = "What did a Kuwait University professor say about the crisis?"
    assert absent_name_words(analyse_query(question), set(words(corpus))) == []
