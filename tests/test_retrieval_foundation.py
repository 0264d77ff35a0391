"""Retrieval over the real index is blind to spelling variants: foreign-name spellings,
diacritics and tatweel in a question retrieve what the plain spelling retrieves."""

from __future__ import annotations

import pytest

from assistant.retrieval import analyse_query, retrieve

WANG_UKRAINE = "ماذا قال وانغ يي عن أوكرانيا؟"
SHANGHAI = "ما هو موقف الوزيرين من منظمة شنغهاي للتعاون؟"
LAVROV_ELECTION = "ماذا قال سيرغي لافروف عن نتائج الانتخابات الروسية؟"

VARIANTS = [
    (WANG_UKRAINE, "ماذا قال وانج يي عن أوكرانيا؟", "004_86293efd93ced441.txt"),
    (WANG_UKRAINE, "ماذا قالَ وانـــغ يي عَنْ أوكرانيا؟", "004_86293efd93ced441.txt"),
    (WANG_UKRAINE, "ماذا قـال وانـج يـي عـن أوكـرانـيـا؟", "004_86293efd93ced441.txt"),
    (SHANGHAI, "ما هو موقف الوزيرين من منظمة شانجهاي للتعاون؟", "002_a6ac462dc7d286b7.txt"),
    (SHANGHAI, "ما هو موقف الوزيرين من منظمة شنجهاي للتعاون؟", "002_a6ac462dc7d286b7.txt"),
    (SHANGHAI, "ما هُوَ مَوْقِفُ الوزيرين من مُنَظَّمَةِ شَنْغْهاي للتعاون؟", "002_a6ac462dc7d286b7.txt"),
    (
        LAVROV_ELECTION,
        "ماذا قال سيرجي لافروف عن نتائج الانتخابات الروسية؟",
        "001_2a0015d8fffb9b77.txt",
    ),
    (
        LAVROV_ELECTION,
        "ماذا قال سيرغي لافروف عن نتائج الانتخابات الروسيّة؟",
        "001_2a0015d8fffb9b77.txt",
    ),
]


def top_source(index, question: str) -> str:  # type: ignore[no-untyped-def]
    _, results = retrieve(index, question, 6)
    assert results, f"nothing retrieved for {question}"
    return results[0].chunk.source


@pytest.mark.parametrize(("plain", "variant", "source"), VARIANTS)
def test_a_spelling_variant_retrieves_the_same_top_file_as_the_plain_spelling(
    shared_index, plain: str, variant: str, source: str
) -> None:  # type: ignore[no-untyped-def]
    assert top_source(shared_index, plain) == source
    assert top_source(shared_index, variant) == source


@pytest.mark.parametrize(("plain", "variant", "source"), VARIANTS)
def test_a_spelling_variant_has_the_same_lexical_terms_as_the_plain_spelling(
    plain: str, variant: str, source: str
) -> None:
    assert analyse_query(variant).terms == analyse_query(plain).terms


@pytest.mark.parametrize("question", [WANG_UKRAINE, SHANGHAI, LAVROV_ELECTION, "بكين"])
def test_retrieved_chunks_are_distinct_and_in_score_order(shared_index, question: str) -> None:  # type: ignore[no-untyped-def]
    _, results = retrieve(shared_index, question, 6)
    ids = [r.chunk.chunk_id for r in results]
    scores = [r.score for r in results]
    assert 0 < len(ids) <= 6 and len(set(ids)) == len(ids)
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("question", "language"),
    [
        (WANG_UKRAINE, "ar"),
        ("What did Wang Yi say about Ukraine?", "en"),
        ("ماذا قال Wang Yi؟", "ar"),
    ],
)
def test_the_question_language_is_detected(question: str, language: str) -> None:
    assert analyse_query(question).language == language


@pytest.mark.parametrize(("plain", "variant", "source"), VARIANTS[:2])
def test_an_answer_to_a_variant_spelling_cites_the_same_file(
    offline_assistant, plain: str, variant: str, source: str
) -> None:  # type: ignore[no-untyped-def]
    cited = [offline_assistant.ask(q).citations for q in (plain, variant)]
    assert cited[0] and cited[1]
    assert cited[0][0].source == cited[1][0].source == source
