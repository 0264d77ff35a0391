"""The citation check keeps only statements whose quotes are really in the cited passage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.citations import (
    ABSTAIN_TOKEN,
    check_citations,
    keep_verified,
    locate_quote,
    parse_statements,
)
from assistant.models import Chunk

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "articles"
SOURCE = "000_f7af9a86fe9a915b.txt"


def paragraph_chunks(source: str) -> tuple[str, list[Chunk]]:
    """The original text of an article and one chunk per non-empty line, exact offsets."""
    original = (ARTICLES / source).read_bytes().decode("utf-8-sig")
    chunks = [
        Chunk(f"{source}:{i}", source, m.group(), m.start(), m.end(), title="t", position=i)
        for i, m in enumerate(re.finditer(r"[^\n]*\S[^\n]*", original))
    ]
    for chunk in chunks:
        assert original[chunk.start : chunk.end] == chunk.text
    return original, chunks


@pytest.fixture(scope="module")
def article() -> tuple[str, list[Chunk]]:
    return paragraph_chunks(SOURCE)


def test_a_verbatim_quote_becomes_a_citation_whose_offsets_round_trip(article):
    original, chunks = article
    passages = [chunks[0], chunks[8]]
    output = "Lavrov met his Pakistani counterpart [2: «لافروف عقد مباحثات مع نظيره الباكستاني»]."
    result = check_citations(output, passages)
    assert result.text == "Lavrov met his Pakistani counterpart [1]."
    assert not result.abstained and result.notes == () and result.removed == 0
    (citation,) = result.citations
    assert citation.quote == "لافروف عقد مباحثات مع نظيره الباكستاني"
    assert original[citation.start : citation.end] == citation.quote
    assert citation.source == SOURCE and citation.chunk_id == chunks[8].chunk_id


@pytest.mark.parametrize("source", sorted(p.name for p in ARTICLES.glob("*.txt")))
def test_quotes_from_every_bundled_article_round_trip_to_the_original_file(source):
    original, chunks = paragraph_chunks(source)
    chunk = max(chunks, key=lambda c: len(c.text))
    words = chunk.text.split()
    quote = " ".join(words[2:9])
    result = check_citations(f"بيان من المقال [1: «{quote}»]", [chunk])
    (citation,) = result.citations
    assert original[citation.start : citation.end] == citation.quote
    assert " ".join(citation.quote.split()) == quote


def test_a_fabricated_quote_is_rejected_and_its_statement_removed_with_a_note(article):
    _, chunks = article
    output = (
        "The ministers met in India [1: «اجتماعاً في الهند»].\n"
        "They signed a nuclear treaty [1: «وقع الوزيران معاهدة نووية جديدة»]."
    )
    result = check_citations(output, [chunks[0]])
    assert result.text == "The ministers met in India [1]."
    assert len(result.citations) == 1 and result.removed == 1
    assert result.notes == (
        f"1 statement removed: its quote was not found in passage [1] ({SOURCE})",
    )


def test_a_real_quote_cited_to_the_wrong_passage_is_rejected(article):
    _, chunks = article
    output = "Lavrov met the Pakistani minister [1: «لافروف عقد مباحثات مع نظيره الباكستاني»]"
    result = check_citations(output, [chunks[0], chunks[8]])
    assert result.citations == () and result.text == ""
    assert result.abstained and result.removed == 1
    assert "not found in passage [1]" in result.notes[0]


def test_a_quote_with_one_word_dropped_is_not_accepted(article):
    _, chunks = article
    # the passage says "لافروف عقد مباحثات مع نظيره الباكستاني": "عقد" is dropped here
    result = check_citations("Claim [1: «لافروف مباحثات مع نظيره الباكستاني»]", [chunks[8]])
    assert result.citations == () and result.removed == 1


@pytest.mark.parametrize(
    "quote",
    [
        "وزيرُ الخارجيةِ الروسيُّ",  # added diacritics
        "وزير الخارجيـــــة الروسي",  # tatweel
        "وزير الخارجيه الروسى",  # ة→ه and ي→ى spelling
        "  وزير   الخارجية الروسي.  ",  # extra whitespace and a final full stop
        '"وزير الخارجية الروسي"',  # other quote marks
        "“وزير الخارجية الروسي”",
    ],
)
def test_diacritics_tatweel_spelling_and_quote_marks_do_not_stop_a_quote_verifying(article, quote):
    original, chunks = article
    result = check_citations(f"Statement [1: «{quote}»]", [chunks[0]])
    (citation,) = result.citations
    assert citation.quote == "وزير الخارجية الروسي"
    assert original[citation.start : citation.end] == citation.quote


def test_a_quote_without_diacritics_matches_a_vocalised_passage_and_keeps_its_marks():
    original = "مقدمة.\nقالَ الوزيرُ إنَّ الاجتماعَ كانَ مُثمِراً جداً."
    start = original.index("قالَ")
    chunk = Chunk("c1", "x.txt", original[start:], start, len(original))
    result = check_citations("He called it fruitful [1: «ان الاجتماع كان مثمرا»]", [chunk])
    (citation,) = result.citations
    assert citation.quote == "إنَّ الاجتماعَ كانَ مُثمِراً"
    assert original[citation.start : citation.end] == citation.quote


def test_hamza_forms_in_the_passage_match_a_quote_written_without_them(article):
    _, chunks = article
    # the passage writes "الأزمة الأوكرانية" with hamza on alif
    (citation,) = check_citations('Ukraine [1: «"الازمة الاوكرانية"»]', [chunks[0]]).citations
    assert citation.quote == "الأزمة الأوكرانية"  # surrounding quote marks are not part of it


def test_markers_are_renumbered_by_first_appearance_and_a_repeated_quote_keeps_its_number(
    article,
):
    _, chunks = article
    passages = [chunks[0], chunks[8], chunks[9]]
    output = (
        "Xi visited Moscow [3: «زار الرئيس الصيني شي جين بينج موسكو»]\n"
        "Lavrov met Zardari [2: «لافروف عقد مباحثات مع نظيره الباكستاني»] "
        "[3: «زار الرئيس الصيني شي جين بينج موسكو»]\n"
        "The meeting was in India [1: «اجتماعاً في الهند»]"
    )
    result = check_citations(output, passages)
    assert result.text == (
        "Xi visited Moscow [1]\nLavrov met Zardari [2][1]\nThe meeting was in India [3]"
    )
    assert [c.chunk_id for c in result.citations] == [
        chunks[9].chunk_id,
        chunks[8].chunk_id,
        chunks[0].chunk_id,
    ]


def test_statements_without_any_citation_or_with_a_bare_marker_are_removed(article):
    _, chunks = article
    output = (
        "Here is what I found.\n"
        "The meeting was in India [1: «اجتماعاً في الهند»].\n"
        "Russia and China are allies [1].\n"
        "This matters a lot."
    )
    result = check_citations(output, [chunks[0]])
    assert result.text == "The meeting was in India [1]."
    assert result.removed == 3
    assert result.notes == (
        "2 statements removed: no citation",
        "1 statement removed: its citation [1] has no quote",
    )


def test_a_statement_with_one_good_and_one_fabricated_citation_is_removed(article):
    _, chunks = article
    output = "They met in India and agreed on sanctions [1: «اجتماعاً في الهند»] [1: «اتفقا على العقوبات معا»]"
    result = check_citations(output, [chunks[0]])
    assert result.text == "" and result.citations == () and result.removed == 1


def test_a_citation_of_a_passage_that_was_not_given_is_removed(article):
    _, chunks = article
    result = check_citations("Claim [7: «اجتماعاً في الهند»]", [chunks[0]])
    assert result.notes == ("1 statement removed: it cites passage [7], which was not given",)


def test_a_one_word_quote_is_too_short_to_verify(article):
    _, chunks = article
    result = check_citations("Claim [1: «الهند»]", [chunks[0]])
    assert result.citations == () and "too short" in result.notes[0]


@pytest.mark.parametrize(
    "output", [ABSTAIN_TOKEN, f"  {ABSTAIN_TOKEN}.\n", f"{ABSTAIN_TOKEN} The passages are silent."]
)
def test_the_abstention_token_gives_an_abstained_result_without_notes(article, output):
    _, chunks = article
    result = check_citations(output, [chunks[0]])
    assert result.abstained and result.text == "" and result.notes == () and result.removed == 0


@pytest.mark.parametrize("output", ["", "x", "   \n ", "- * -", "نعم yes"])
def test_edge_outputs_never_produce_supported_statements(article, output):
    _, chunks = article
    result = check_citations(output, chunks[:2])
    assert result.citations == () and result.text == "" and result.abstained


def test_an_english_sentence_in_the_us_with_abbreviations_stays_one_statement(article):
    _, chunks = article
    output = "The U.S. was not at the meeting in India [1: «اجتماعاً في الهند»]."
    result = check_citations(output, [chunks[0]])
    assert result.text == "The U.S. was not at the meeting in India [1]." and result.removed == 0


def test_citations_written_after_the_full_stop_still_belong_to_their_statement(article):
    _, chunks = article
    output = "The meeting was in India.\n[1: «اجتماعاً في الهند»]"
    result = check_citations(output, [chunks[0]])
    assert result.text == "The meeting was in India. [1]"


def test_parse_statements_splits_uncited_sentences_from_the_cited_one():
    statements = parse_statements("Intro. Claim [1: «a b»]. Outro")
    assert [(s.body, len(s.citations)) for s in statements] == [
        ("Intro.", 0),
        ("Claim", 1),
        ("Outro", 0),
    ]


def test_locate_quote_returns_none_for_an_empty_or_absent_quote():
    assert locate_quote("«»", "نص") is None
    assert locate_quote("غير موجود", "نص آخر") is None


def test_keep_verified_keeps_the_model_format_with_exact_quotes_and_passage_numbers(article):
    _, chunks = article
    output = (
        "Met in India [2: «اجتماعاً فى الهند»]\nInvented [1: «شيء لم يقل ابدا»]\n" + ABSTAIN_TOKEN
    )
    text, notes = keep_verified(output, [chunks[8], chunks[0]])
    assert text == "Met in India [2: «اجتماعاً في الهند»]"
    assert notes == (f"1 statement removed: its quote was not found in passage [1] ({SOURCE})",)
    again = check_citations(text, [chunks[8], chunks[0]])
    assert again.text == "Met in India [1]" and again.citations[0].quote == "اجتماعاً في الهند"


def test_a_numbered_list_with_a_lead_in_and_passage_words_is_parsed_without_losses(article):
    _, chunks = article
    output = (
        "Based on the passages:\n\n"
        "1. Lavrov met Qin Gang in India [1: «لافروف ونظيره الصيني تشين جانج»].\n"
        '2. **They discussed Ukraine** [Passage 1: «وفي مقدمتها "الأزمة الأوكرانية"»]'
    )
    result = check_citations(output, [chunks[0]])
    assert result.removed == 0 and result.notes == ()
    assert result.text == (
        "1. Lavrov met Qin Gang in India [1].\n2. **They discussed Ukraine** [2]"
    )
    assert result.citations[1].quote == 'وفي مقدمتها "الأزمة الأوكرانية"'


def test_arabic_statements_joined_by_commas_keep_their_own_citations(article):
    _, chunks = article
    output = (
        "التقى لافروف نظيره الباكستاني [1: «لافروف عقد مباحثات مع نظيره الباكستاني»]، "
        "وزار شي موسكو [2: «زار الرئيس الصيني شي جين بينج موسكو»]."
    )
    result = check_citations(output, [chunks[8], chunks[9]])
    assert result.text == "التقى لافروف نظيره الباكستاني [1]، وزار شي موسكو [2]."
