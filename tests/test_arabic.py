"""Arabic analysis shared by index and query: normalisation (with its offset map), name folding,
clitic stripping, stemming, language detection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assistant.arabic import (
    analyse,
    analyse_word,
    detect_language,
    normalize,
    normalize_with_map,
    strip_clitics,
    words,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("ا", "ا"),
        ("   ", ""),
        ("أَحْمَدُ", "احمد"),
        ("الصـــين", "الصين"),
        ("إلى آسيا ٱلوسطى", "الي اسيا الوسطي"),
        ("مؤتمر رئيس", "موتمر رييس"),
        ("وزارة الخارجية", "وزاره الخارجيه"),
        ("٢٠٢٤ و۲۰۲۴", "2024 و2024"),
        ("Wang  YI\tقال\n\nنعم", "wang yi قال نعم"),
        ("\u200fوانغ\u200b يي\u202e", "وانغ يي"),
        ("«نعم» “لا”", '"نعم" "لا"'),
        ("İstanbul", "istanbul"),
    ],
    ids=[
        "empty",
        "one-char",
        "blank",
        "diacritics",
        "tatweel",
        "alef-forms",
        "hamza-carriers",
        "ta-marbuta",
        "arabic-indic-digits",
        "latin-case-and-space",
        "invisible-marks",
        "quotes",
        "dotted-capital-i",
    ],
)
def test_normalisation_unifies_spelling_variants_that_do_not_change_the_word(
    text: str, expected: str
) -> None:
    assert normalize(text) == expected


def test_final_letters_are_kept_when_folding_is_off() -> None:
    assert normalize("وزارة إلى", fold_final=False) == "وزارة الى"


_MIXED = st.text(
    alphabet=st.sampled_from(
        list("ابتةىأإآؤئءوي") + list("ًٌٍَُِّْـ") + ["\u200f", "\u200b", "\ufeff", "\u00a0"]
        + list("AbİßÉz09٣۴ \n\t.،؟«»“\x01")
    ),
    max_size=80,
)  # fmt: skip


@hypothesis_settings(max_examples=300, deadline=None)
@given(_MIXED)
def test_the_offset_map_points_every_normalised_character_at_its_source(text: str) -> None:
    out, index = normalize_with_map(text)
    assert len(out) == len(index)
    assert index == sorted(set(index))
    for ch, i in zip(out, index, strict=True):
        if ch == " ":
            assert text[i].isspace()
        else:
            assert normalize(text[i]) == ch


@hypothesis_settings(max_examples=300, deadline=None)
@given(_MIXED)
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("وانج", "وانغ"),
        ("شنجهاي", "شنغهاي"),
        ("شانجهاي", "شنغهاي"),
        ("سيرجي", "سيرغي"),
        ("بينج", "بينغ"),
        ("جانج", "غانغ"),
        ("بيجين", "بكين"),
    ],
)
def test_foreign_name_spellings_fold_to_one_index_term(variant: str, canonical: str) -> None:
    assert analyse_word(variant) == analyse_word(canonical)
    assert analyse(f"قال {variant} اليوم") == analyse(f"قال {canonical} اليوم")


@pytest.mark.parametrize(("a", "b"), [("غرب", "جرب"), ("غارة", "جارة")])
def test_real_words_that_differ_by_ghain_and_jim_stay_apart(a: str, b: str) -> None:
    assert analyse(a) != analyse(b)


@pytest.mark.parametrize(
    ("plain", "decorated"),
    [
        ("ماذا قال وانغ يي عن أوكرانيا؟", "ماذا قالَ وانـــغ يي عَنْ أوكـرانيـا؟"),
        ("منظمة شنغهاي للتعاون", "مُنَظَّمَة شَنْغْهاي لِلتَّعاوُن"),
        ("وزير الخارجية الروسي", "وزيـر الخارجـيـة الروسـيّ"),
    ],
)
def test_diacritics_and_tatweel_do_not_change_the_index_terms(plain: str, decorated: str) -> None:
    assert analyse(decorated) == analyse(plain)


@pytest.mark.parametrize(
    ("word", "stripped"),
    [
        ("والصين", "صين"),
        ("بالتعاون", "تعاون"),
        ("للتعاون", "تعاون"),
        ("بكين", "بكين"),
        ("ال", "ال"),
        ("وزير", "وزير"),
    ],
)
def test_clitics_are_stripped_only_when_enough_of_the_word_remains(
    word: str, stripped: str
) -> None:
    assert strip_clitics(word) == stripped


@pytest.mark.parametrize(
    ("inflected", "base"),
    [("والعلاقات", "العلاقات"), ("الصينية", "الصيني"), ("بالتعاون", "التعاون")],
)
def test_inflected_forms_share_a_stem(inflected: str, base: str) -> None:
    assert analyse_word(normalize(inflected, fold_final=False)) == analyse_word(
        normalize(base, fold_final=False)
    )


@pytest.mark.parametrize(
    ("text", "terms"),
    [("", []), ("و", []), ("2024", ["2024"]), ("5", ["5"]), ("Wang Yi", ["wang", "yi"])],
)
def test_short_and_latin_tokens_pass_through_analysis(text: str, terms: list[str]) -> None:
    assert analyse(text) == terms


def test_surface_words_are_normalised_but_not_stemmed() -> None:
    assert words("والعلاقاتُ الصينيـة") == ["والعلاقات", "الصينيه"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("", "ar"),
        ("123 ...", "ar"),
        ("ماذا قال وانغ يي؟", "ar"),
        ("What did Wang Yi say?", "en"),
        ("What did Wang Yi say about أوكرانيا?", "en"),
        ("ماذا قال Wang Yi عن أوكرانيا؟", "ar"),
    ],
)
def test_the_language_is_the_script_with_more_letters(text: str, language: str) -> None:
    assert detect_language(text) == language
