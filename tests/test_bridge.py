"""The offline English→Arabic bridge: lexicon file, phrase matching, transliteration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.arabic import analyse, normalize, words
from assistant.bridge import (
    _CASED_KEYS,
    STOPWORDS,
    BridgeResult,
    SkeletonIndex,
    bridge_query,
    lemmatize,
    load_lexicon,
    match_transliteration,
    parse_lexicon,
    skeleton,
    transliterate,
)

ARTICLES = Path(__file__).resolve().parents[1] / "data" / "articles"
ARABIC_FORM = re.compile(
    r"[\u0621-\u064A\u0670\u0671-\u06D3]+( [\u0621-\u064A\u0670\u0671-\u06D3]+)*"
)


def _article(prefix: str) -> str:
    return next(ARTICLES.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def vocabulary() -> SkeletonIndex:
    """Every normalised word of the five articles, indexed by consonant skeleton."""
    return SkeletonIndex({w for p in ARTICLES.glob("*.txt") for w in words(p.read_text())})


# --- The lexicon file ------------------------------------------------------------------


def test_the_packaged_lexicon_parses_into_hundreds_of_entries_in_every_category() -> None:
    lexicon = load_lexicon()
    assert 300 <= len(lexicon.entries) <= 600
    assert all(count >= 25 for count in lexicon.by_category().values())


def test_the_lexicon_is_loaded_once_and_cached() -> None:
    assert load_lexicon() is load_lexicon()


def test_every_arabic_form_in_the_lexicon_is_non_empty_arabic() -> None:
    for entry in load_lexicon().entries:
        for form in entry.arabic:
            assert ARABIC_FORM.fullmatch(form), (entry.line, form)
            assert normalize(form), (entry.line, form)


def test_no_single_word_entry_is_an_english_stopword_unless_it_must_be_capitalised() -> None:
    single = {key[0] for key in load_lexicon().exact if len(key) == 1}
    assert single & STOPWORDS <= set(_CASED_KEYS)


SAMPLE = [
    ("Wang Yi", "وانغ يي"),
    ("Wang Yi", "وانج يي"),
    ("Lavrov", "لافروف"),
    ("Sergei Lavrov", "سيرجي لافروف"),
    ("Xi Jinping", "شي جين بينج"),
    ("Putin", "بوتين"),
    ("Qin Gang", "تشين جانج"),
    ("Zardari", "زرداري"),
    ("Guo Jiakun", "قوه جيا كون"),
    ("Lu Shaye", "لو شاي"),
    ("Ukraine", "أوكرانيا"),
    ("Eurasia", "أوراسيا"),
    ("Tashkent", "طشقند"),
    ("Samarkand", "سمرقند"),
    ("Jeddah", "جدة"),
    ("Beijing", "بكين"),
    ("Moscow", "موسكو"),
    ("Afghanistan", "أفغانستان"),
    ("Shanghai Cooperation Organisation", "منظمة شنغهاي للتعاون"),
    ("Shanghai Cooperation Organization", "منظمة شانجهاي للتعاون"),
    ("United Nations", "الأمم المتحدة"),
    ("Security Council", "مجلس الأمن"),
    ("BRICS", "بريكس"),
    ("G20", "مجموعة العشرين"),
    ("ASEAN", "رابطة دول جنوب شرق آسيا"),
    ("Belt and Road", "مبادرة الحزام والطريق"),
    ("Kremlin", "الكرملين"),
    ("RIA Novosti", "ريا نوفوستي"),
    ("Xinhua", "شينخوا"),
    ("phone call", "اتصال هاتفي"),
    ("peacekeeping", "حفظ السلام"),
    ("sanctions", "العقوبات"),
    ("summit", "قمة"),
    ("strategic partnership", "الشراكة الاستراتيجية"),
    ("multipolarity", "التعددية القطبية"),
    ("coalition of the willing", "تحالف الراغبين"),
    ("Monday", "الاثنين"),
    ("February", "شباط"),
    ("February", "فبراير"),
    ("Türkiye", "تركيا"),
]


@pytest.mark.parametrize(("english", "arabic"), SAMPLE)
def test_a_sample_of_entries_bridges_to_the_expected_arabic(english: str, arabic: str) -> None:
    terms = [normalize(t) for t in bridge_query(english).arabic_terms]
    assert normalize(arabic) in terms


# --- The lexicon as a whole: a question per fact, the terms must be in its article -----

QUESTIONS = [
    ("000", "What did Lavrov and Qin Gang discuss in India?"),
    ("000", "Which organisations did Russia and China agree to coordinate in, such as BRICS?"),
    ("000", "What did Xi Jinping call his visit to Moscow in March 2023?"),
    ("000", "Did China criticise the Western sanctions on Russia?"),
    ("000", "Who did Lavrov hold talks with from Pakistan?"),
    ("001", "What did Lavrov say about security in Eurasia?"),
    ("001", "How did Wang Yi describe China's support for Putin's leadership?"),
    ("001", "When did Moscow and Beijing announce a no limits partnership?"),
    ("001", "Did Lavrov thank China for congratulating Putin on his re-election?"),
    ("001", "Will Putin travel to China in May?"),
    ("002", "What did Wang Yi and Lavrov agree about Afghanistan in Tashkent?"),
    ("002", "What did the ministers say about food and energy security?"),
    ("002", "How will the Belt and Road Initiative align with the Eurasian Economic Union?"),
    ("002", "What preparations were made for the SCO summit in Samarkand?"),
    ("002", "What did Xinhua report about the permanent members of the Security Council?"),
    ("003", "Is China considering joining a peacekeeping mission in Ukraine?"),
    ("003", "What is the coalition of the willing led by Britain and France?"),
    ("003", "What did Lu Shaye say about the peace agreement and the United States?"),
    ("003", "What did Guo Jiakun announce about the visit?"),
    ("003", "Did Wang Yi call China and Russia friends forever in an interview with RIA Novosti?"),
    ("003", "Which countries could join, for example Canada and Turkey?"),
    ("004", "What did Wang Yi say about Ukraine?"),
    ("004", "What did Wang Yi tell Lavrov in their phone call?"),
    ("004", "What did the ministers say about multipolarity and democracy?"),
    ("004", "What position will China take on the crisis in Ukraine?"),
    ("004", "Was Russia invited to the summit in Jeddah?"),
    ("004", "Did China send lethal weapons to Russia?"),
    ("004", "What did the Russian Foreign Ministry say about the Western bloc's confrontation?"),
]


@pytest.mark.parametrize(("article", "question"), QUESTIONS)
def test_each_question_bridges_to_terms_that_occur_in_its_article(
    article: str, question: str
) -> None:
    index_terms = set(analyse(_article(article)))
    result = bridge_query(question)
    present = [t for t in result.arabic_terms if set(analyse(t)) <= index_terms]
    assert len(present) >= 2, (result.text, result.unmatched)
    assert result.unmatched == []


def test_the_wang_yi_question_reaches_the_arabic_words_of_article_004() -> None:
    result = bridge_query("What did Wang Yi say about Ukraine?")
    assert result.matched == [("Wang Yi", "Wang Yi"), ("say", "say"), ("Ukraine", "Ukraine")]
    article = _article("004")
    assert "وانغ يي" in article and "قال" in article and "أوكرانيا" in article
    assert {"وانغ يي", "قال", "أوكرانيا"} <= set(result.arabic_terms)


# --- Matching rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    "question", ["", "   ", "?", "What is it about, and why did it happen?", "Tell me more."]
)
def test_empty_or_stopword_only_questions_bridge_to_nothing(question: str) -> None:
    assert bridge_query(question) == BridgeResult()
    assert bridge_query(question).text == ""


@pytest.mark.parametrize("question", ["ماذا قال وانغ يي عن أوكرانيا؟", "ماذا حدث في 2023؟"])
def test_a_pure_arabic_question_has_nothing_to_bridge(question: str) -> None:
    assert bridge_query(question) == BridgeResult()


@pytest.mark.parametrize(
    ("inflected", "base"),
    [("talks", "talk"), ("meetings", "meeting"), ("countries", "country"), ("visited", "visit"),
     ("agreed", "agree"), ("discussed", "discuss"), ("stressed", "stress"), ("planned", "plan")],
)  # fmt: skip
def test_the_lemmatiser_sends_inflected_forms_to_their_base_form(inflected: str, base: str) -> None:
    assert lemmatize(inflected) == lemmatize(base)


@pytest.mark.parametrize(
    ("question", "headword"),
    [("Meetings", "meeting"), ("visited", "visit"), ("Russia's", "Russia"), ("summits", "summit"),
     ("strategic partnerships", "strategic partnership"), ("countries", "country")],
)  # fmt: skip
def test_inflected_and_possessive_english_finds_its_entry(question: str, headword: str) -> None:
    assert [label for _, label in bridge_query(question).matched] == [headword]


@pytest.mark.parametrize("verb", ["say", "says", "said", "told"])
def test_irregular_reporting_verbs_are_listed_in_the_lexicon(verb: str) -> None:
    assert "قال" in bridge_query(verb).arabic_terms


def test_news_is_not_lemmatised_into_new_because_exact_forms_win() -> None:
    assert bridge_query("news").matched == [("news", "news")]


@pytest.mark.parametrize(
    ("question", "matched"),
    [
        ("foreign minister", [("foreign minister", "foreign minister")]),
        ("Wang Yi", [("Wang Yi", "Wang Yi")]),
        ("Wang", [("Wang", "Wang")]),
        ("Chinese Foreign Minister Wang Yi", [
            ("Chinese Foreign Minister", "Chinese foreign minister"), ("Wang Yi", "Wang Yi")]),
        ("the Shanghai Cooperation Organisation summit", [
            ("Shanghai Cooperation Organisation", "Shanghai Cooperation Organisation"),
            ("summit", "summit")]),
        ("peace talks in Jeddah", [("peace talks", "peace talks"), ("Jeddah", "Jeddah")]),
    ],
)  # fmt: skip
def test_the_longest_phrase_matches_first(question: str, matched: list[tuple[str, str]]) -> None:
    assert bridge_query(question).matched == matched


def test_matching_ignores_case() -> None:
    assert bridge_query("WANG YI").arabic_terms == bridge_query("wang yi").arabic_terms != []


@pytest.mark.parametrize(
    ("question", "expected", "absent"),
    [("US sanctions", "الولايات المتحدة", None), ("U.S. sanctions", "الولايات المتحدة", None),
     ("tell us about sanctions", None, "الولايات المتحدة"),
     ("Putin's visit in May", "مايو", None), ("what may happen to Putin", None, "مايو")],
)  # fmt: skip
def test_ambiguous_keys_match_only_when_written_as_names(
    question: str, expected: str | None, absent: str | None
) -> None:
    terms = bridge_query(question).arabic_terms
    assert expected is None or expected in terms
    assert absent is None or absent not in terms


def test_terms_come_in_question_order_without_duplicates() -> None:
    result = bridge_query("Ukraine, Lavrov and Ukraine again")
    assert result.arabic_terms.index("أوكرانيا") < result.arabic_terms.index("لافروف")
    normalised = [normalize(t) for t in result.arabic_terms]
    assert len(normalised) == len(set(normalised))
    assert result.text == " ".join(result.arabic_terms)


def test_numbers_and_arabic_words_in_an_english_question_pass_through() -> None:
    result = bridge_query("What happened in March 2023 in أوكرانيا?")
    assert result.arabic_terms[:2] == ["مارس", "آذار"]
    assert "2023" in result.arabic_terms
    assert ("أوكرانيا", "arabic") in result.matched


def test_content_words_without_an_entry_are_reported_as_unmatched() -> None:
    result = bridge_query("Did Lavrov frobnicate the Zorblax?")
    assert result.unmatched == ["frobnicate", "Zorblax"]
    assert result.matched == [("Lavrov", "Lavrov")]


@pytest.mark.parametrize("text", ["ـ", "\u064e", "Lavrov ـ", "x", "🙂 Lavrov", "Straße"])
def test_odd_characters_neither_crash_nor_add_empty_terms(text: str) -> None:
    assert "" not in bridge_query(text).arabic_terms


def test_a_whole_arabic_article_as_a_question_bridges_to_nothing() -> None:
    assert bridge_query(_article("004")) == BridgeResult()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_bridges_to_arabic_forms_or_digits_only(text: str) -> None:
    result = bridge_query(text)
    for term in result.arabic_terms:
        assert term.isascii() and term.isdigit() or ARABIC_FORM.fullmatch(normalize(term))
    assert result.text == " ".join(result.arabic_terms)


# --- Malformed lexicon lines -----------------------------------------------------------


@pytest.mark.parametrize(
    "bad_line",
    [
        "Wang Yi\tوانغ يي",  # two fields
        "Wang Yi\tوانغ يي\tperson\textra",  # four fields
        "Wang Yi\tوانغ يي\tpeople",  # unknown category
        "Wang Yi\tWang Yi\tperson",  # Latin in the Arabic field
        "Wang Yi\tوانغ يي||وانج يي\tperson",  # empty variant
        "وانغ\tوانغ يي\tperson",  # Arabic in the English field
        "\tوانغ يي\tperson",  # empty English field
        "Lavrov\tلافروف\tperson",  # duplicate of line 2
    ],
)
def test_a_malformed_lexicon_line_raises_an_error_naming_its_line(bad_line: str) -> None:
    text = f"# comment\nLavrov\tلافروف\tperson\n\n{bad_line}\n"
    with pytest.raises(ValueError, match=r"line 4\b"):
        parse_lexicon(text, source="test.tsv")


def test_a_lexicon_file_with_a_bad_line_fails_on_load(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.tsv"
    path.write_text("Lavrov\tلافروف\tperson\nbroken line\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"lexicon\.tsv: line 2"):
        load_lexicon(path)


# --- Transliteration -------------------------------------------------------------------

# A lexicon that deliberately lacks the names the transliteration tests look for.
FIXTURE_LEXICON = parse_lexicon(
    "Lavrov\tلافروف\tperson\nmeeting|met\tاجتماع|التقى\tterm\nsay|said\tقال\tterm\n"
)


@pytest.mark.parametrize(
    ("name", "arabic"),
    [("Zardari", "زرداري"), ("Samarkand", "سمرقند"), ("Tashkent", "طشقند"),
     ("Xinhua", "شينخوا"), ("Lavrov", "لافروف"), ("Politico", "بوليتيكو"),
     ("Sputnik", "سبوتنيك"), ("Reuters", "رويترز"), ("Jeddah", "جده")],
)  # fmt: skip
def test_names_missing_from_the_lexicon_are_found_by_transliteration(
    name: str, arabic: str, vocabulary: SkeletonIndex
) -> None:
    assert normalize(arabic) in match_transliteration(name, vocabulary)


def test_transliteration_yields_consonant_skeletons_only() -> None:
    candidates = transliterate("Samarkand")
    assert "سمرقند" in candidates
    assert all(c and not set(c) & set("اويى") and ARABIC_FORM.fullmatch(c) for c in candidates)


@pytest.mark.parametrize(
    ("word", "expected"),
    [("زرداري", "زردر"), ("الباكستاني", "بكستن"), ("طشقند", "طشقند"), ("وانغ", "نغ"), ("", "")],
)
def test_an_arabic_skeleton_drops_the_article_and_long_vowels(word: str, expected: str) -> None:
    assert skeleton(word) == expected


def test_a_skeleton_one_edit_away_matches_only_when_long_enough() -> None:
    # طشقنت is one letter from طشقند (5 letters); نغ and تش are too short to fuzz.
    assert match_transliteration("Tashkent", ["طشقنت"]) == ["طشقنت"]
    assert match_transliteration("Wang", ["بنغ"]) == []


def test_a_plain_collection_works_as_vocabulary_too() -> None:
    assert match_transliteration("Zardari", ["زرداري", "روسيا"]) == ["زرداري"]
    assert match_transliteration("Zardari", []) == []


def test_the_bridge_transliterates_capitalised_unknown_names_when_given_a_vocabulary(
    vocabulary: SkeletonIndex,
) -> None:
    question = "Lavrov met Zardari; what did they say in Samarkand and Tashkent?"
    result = bridge_query(question, vocabulary=vocabulary, lexicon=FIXTURE_LEXICON)
    assert ("Zardari", "transliteration") in result.matched
    assert {"زرداري", "سمرقند", "طشقند"} <= set(result.arabic_terms)
    assert result.arabic_terms.index("زرداري") < result.arabic_terms.index("طشقند")
    assert result.unmatched == []


def test_without_a_vocabulary_unknown_names_stay_unmatched() -> None:
    result = bridge_query("Lavrov met Zardari", lexicon=FIXTURE_LEXICON)
    assert result.unmatched == ["Zardari"]


def test_lowercase_unknown_words_are_not_transliterated(vocabulary: SkeletonIndex) -> None:
    # "hand" has the skeleton of الهند: only capitalised words are taken for names.
    result = bridge_query(
        "lavrov met zardari by hand", vocabulary=vocabulary, lexicon=FIXTURE_LEXICON
    )
    assert result.unmatched == ["zardari", "hand"]
    assert result.arabic_terms == ["لافروف", "اجتماع", "التقى"]
