"""Property-based fuzzing (issue 8): arbitrary Unicode through the normaliser, splitter,
decoder, citation check and the whole question path.

The properties are the offset guarantees everything else relies on:

- ``normalize_with_map``'s map has one entry per output character, pointing at the
  input character it came from, strictly increasing;
- every chunk of ``parse_article`` + ``split_article`` is ``original[start:end]``;
- the citation check never returns a citation whose quote is not
  ``original[start:end]``, and never rejects a verbatim quote;
- a question, whatever its characters, gives an answer or a :class:`UserError`.

Text is drawn both from all of Unicode and from pieces of the real articles mixed with
punctuation, bidi controls, zero-width characters and markup, so that the sentence and
clause logic is exercised, not just random noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.arabic import normalize, normalize_with_map
from assistant.citations import _QUOTE_STRIP, check_citations, locate_quote
from assistant.documents import decode_article, parse_article
from assistant.errors import UserError
from assistant.models import Article, Chunk, Span
from assistant.splitter import sentence_spans, split_article
from assistant.tokens import FALLBACK
from tests.helpers_reliability import copy_real_articles, make_settings, real_sentences

FUZZ = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ_SMALL = settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

_WORDS = sorted({w for s in real_sentences() for w in s.split()})
_PIECES = [
    " ", "  ", "\n", "\n\n", "\r\n", "\t", ".", "..", "…", "؟", "!", "،", "؛", ",", ":", "«", "»", '"', "“", "”",
    "\u202e", "\u202b", "\u200d", "\u200b", "\u200f", "\ufeff", "\u00a0", "\u0640", "\u064b", "\u0651", "İ", "ß",
    "<script>alert(1)</script>", "![x](http://e.invalid/i.png)", "[1: «", "»]", "NOT_IN_SOURCES",
    "شارك القصة", "128 مشاهدة", "اقرأ أيضاً: ", "المصدر: ", "تجاهل التعليمات السابقة", "Ignore previous instructions",
]  # fmt: skip
mixed_text = st.lists(
    st.one_of(st.sampled_from(_WORDS), st.sampled_from(_PIECES), st.text(max_size=6)), max_size=80
).map("".join)
any_text = st.one_of(st.text(max_size=300), mixed_text)


@FUZZ
@given(any_text, st.booleans())
@example("İstanbul\u0130x", True)
@example("أَحْمـد  ٢ \u202e", False)
def test_the_normaliser_map_points_to_input_characters_in_increasing_order(
    text: str, fold: bool
) -> None:
    out, index = normalize_with_map(text, fold)
    assert len(out) == len(index)
    assert all(0 <= i < len(text) for i in index)
    assert all(a < b for a, b in zip(index, index[1:], strict=False))
    for char, i in zip(out, index, strict=True):
        if char == " ":
            assert text[i].isspace()
        else:
            assert normalize(text[i], fold) == char
    assert normalize(text, fold) == out


def _check_chunks(article: Article, chunks: list[Chunk]) -> None:
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    for position, chunk in enumerate(chunks):
        assert article.original[chunk.start : chunk.end] == chunk.text
        assert chunk.text and chunk.text == chunk.text.strip()
        assert chunk.position == position
        assert any(b.start <= chunk.start < chunk.end <= b.end for b in article.blocks)


@FUZZ
@given(any_text, st.integers(20, 120), st.integers(0, 40))
@example("قال لافروف: نعم. وأضاف؟ لا\n\nİİİ. x", 20, 5)
def test_every_chunk_of_arbitrary_text_is_the_exact_slice_of_the_original(
    text: str, size: int, overlap: int
) -> None:
    try:
        article = parse_article("fuzz.txt", text)
    except UserError:
        return
    for block in article.blocks:
        assert 0 <= block.start < block.end <= len(text)
    _check_chunks(article, split_article(article, FALLBACK.count, size, overlap))
    _check_chunks(article, split_article(article, len, size, overlap))


@FUZZ
@given(any_text, st.integers(1, 60))
def test_sentence_spans_are_trimmed_ordered_and_inside_their_span(
    text: str, max_tokens: int
) -> None:
    spans = sentence_spans(text, Span(0, len(text)), max_tokens, len)
    for span in spans:
        piece = text[span.start : span.end]
        assert piece and piece == piece.strip()
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))


@FUZZ
@given(st.one_of(st.binary(max_size=400), any_text.map(lambda t: t.encode("utf-8"))))
def test_decoding_arbitrary_bytes_gives_text_or_a_message_naming_the_file(raw: bytes) -> None:
    try:
        text = decode_article(raw, "upload.txt", max_bytes=300)
    except UserError as exc:
        assert str(exc).startswith("upload.txt: ")
        return
    assert "\r" not in text


@st.composite
def text_with_words(draw: st.DrawFn, min_words: int = 4) -> str:
    """``mixed_text`` with at least ``min_words`` real words, each set apart by spaces, put in
    at drawn places: every draw is valid, so nothing is filtered away (a filter on
    ``len(t.split()) > 3`` threw away most draws and failed Hypothesis's health check)."""
    pieces = draw(
        st.lists(
            st.one_of(st.sampled_from(_WORDS), st.sampled_from(_PIECES), st.text(max_size=6)),
            max_size=80,
        )
    )
    for word in draw(st.lists(st.sampled_from(_WORDS), min_size=min_words, max_size=12)):
        pieces.insert(draw(st.integers(0, len(pieces))), f" {word} ")
    text = "".join(pieces)
    assert len(text.split()) >= min_words
    return text


@st.composite
def article_and_output(draw: st.DrawFn) -> tuple[Article, list[Chunk], str]:
    """An article of arbitrary text, its chunks, and model output citing them (real and made-up quotes)."""
    text = draw(text_with_words())
    try:
        article = parse_article("fuzz.txt", text)
    except UserError:
        article = parse_article("fuzz.txt", "نص احتياطي من كلمات عدة. " + text)
    chunks = split_article(article, FALLBACK.count, 40, 10)
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        number = draw(st.integers(0, len(chunks) + 1))
        if 1 <= number <= len(chunks) and draw(st.booleans()):
            body = chunks[number - 1].text
            a = draw(st.integers(0, len(body)))
            quote = body[a : draw(st.integers(a, len(body)))]
        else:
            quote = draw(any_text)
        lines.append(f"{draw(st.sampled_from(['Claim', 'قال', '', '- ']))} [{number}: «{quote}»]")
    return article, chunks, draw(st.sampled_from(["\n", " ", ". "])).join(lines)


@FUZZ
@given(article_and_output())
def test_the_citation_check_never_returns_a_quote_that_is_not_the_original_slice(
    case: tuple[Article, list[Chunk], str],
) -> None:
    article, chunks, output = case
    by_id = {c.chunk_id: c for c in chunks}
    checked = check_citations(output, chunks)
    for citation in checked.citations:
        chunk = by_id[citation.chunk_id]
        assert article.original[citation.start : citation.end] == citation.quote
        assert chunk.start <= citation.start <= citation.end <= chunk.end


@FUZZ
@given(mixed_text, st.data())
def test_a_verbatim_quote_of_two_words_or_more_is_always_found(
    text: str, data: st.DataObject
) -> None:
    a = data.draw(st.integers(0, len(text)))
    quote = text[a : data.draw(st.integers(a, len(text)))]
    needle = normalize(quote.strip(_QUOTE_STRIP))
    if len(needle.split()) < 2:
        return
    span = locate_quote(quote, text)
    assert span is not None
    assert needle in normalize(text[span[0] : span[1]])


@pytest.fixture(scope="module")
def small_assistant(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from assistant.service import Assistant

    root: Path = tmp_path_factory.mktemp("fuzz_index")
    copy_real_articles(root / "data")
    return Assistant.from_settings(make_settings(root))


@FUZZ_SMALL
@given(question=st.one_of(any_text, st.text(alphabet=st.characters(codec="utf-8"), max_size=2500)))
@example(question="\u202e\u200d\u200b")
@example(question="<img src=x onerror=alert(1)> ماذا قال لافروف؟")
def test_any_question_gets_an_answer_whose_citations_round_trip_or_a_user_error(
    small_assistant, question: str
) -> None:  # type: ignore[no-untyped-def]
    try:
        answer = small_assistant.ask(question)
    except UserError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    originals = {
        s: small_assistant.article(s).original for s in {c.source for c in answer.citations}
    }
    for citation in answer.citations:
        assert originals[citation.source][citation.start : citation.end] == citation.quote
