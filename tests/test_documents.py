"""Loading and cleaning articles: boilerplate removal, metadata, encodings, refused files."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.documents import (
    decode_article,
    find_date,
    is_boilerplate,
    list_article_files,
    load_article,
    parse_article,
    split_lines,
)
from assistant.errors import UserError
from assistant.models import Article
from assistant.settings import PROJECT_ROOT
from assistant.splitter import split_article
from assistant.tokens import FALLBACK

BUNDLED_ARTICLES = PROJECT_ROOT / "data" / "articles"
ARTICLE_NAMES = tuple(sorted(p.name for p in BUNDLED_ARTICLES.glob("*.txt")))

A000, A001, A002, A003, A004 = ARTICLE_NAMES


def bundled(name: str) -> Article:
    return load_article(BUNDLED_ARTICLES / name)


def chunks_of(article: Article, chunk_tokens: int = 180, overlap: int = 30) -> list:
    return split_article(article, FALLBACK.count, chunk_tokens, overlap)


def body_text(article: Article) -> str:
    """The kept text plus every chunk: where removed boilerplate must not reappear."""
    return article.cleaned + "\n".join(c.text for c in chunks_of(article))


# --- boilerplate -----------------------------------------------------------------------

REMOVED = [
    (A001, "شارك القصة"),
    (A001, "تابع القراءة"),
    (A001, "Close"),
    (A001, "Changed"),
    (A001, "المصادر:"),
    (A001, "وكالات"),
    (A001, "محادثات بين لافروف ونظيره الصيني في بكين - رويترز"),
    (A001, "لقاء وزير الخارجية الصيني بنظيره الروسي في بكين - رويترز"),
    (A001, "الإثنين 29 أبريل / أبريل 2024"),
    (A004, "free counter statistics"),
    (A004, "128 مشاهدة"),
    (A004, "اترك تعليقاً"),
    (A004, "المصدر"),
    (A004, "اقرأ أيضا"),
    (A004, "العراق هو سادس أكبر مستورد من تركيا في عام 2023"),
    (A000, "اقرأ أيضاً"),
]


@pytest.mark.parametrize(("name", "boilerplate"), REMOVED)
def test_boilerplate_in_the_file_is_absent_from_the_cleaned_text_and_every_chunk(
    name: str, boilerplate: str
) -> None:
    article = bundled(name)
    assert boilerplate in article.original
    assert boilerplate not in body_text(article)


@pytest.mark.parametrize("name", [A001, A004])
def test_a_title_printed_several_times_is_kept_once_as_a_line(name: str) -> None:
    article = bundled(name)
    original_lines = [line.strip() for line in article.original.splitlines()]
    cleaned_lines = [line.strip() for line in article.cleaned.splitlines()]
    assert original_lines.count(article.title) >= 2
    assert cleaned_lines.count(article.title) == 1
    assert article.cleaned.startswith(article.title)


def test_an_image_caption_printed_twice_is_removed_but_the_article_around_it_stays() -> None:
    article = bundled(A001)
    caption = "محادثات بين لافروف ونظيره الصيني في بكين - رويترز"
    assert article.original.count(caption) == 2
    assert caption not in article.cleaned
    assert "عززت الصين وروسيا تعاونهما الاقتصادي والدبلوماسي" in article.cleaned
    assert 'وذكرت "رويترز" الشهر الماضي' in article.cleaned


def test_a_read_also_line_is_removed_with_the_unrelated_title_after_its_colon() -> None:
    article = bundled(A004)
    assert "القمة والمواقف" in article.cleaned
    assert "تركيا" not in article.cleaned


@pytest.mark.parametrize(
    "line",
    [
        "شارك القصة",
        "تابع القراءة",
        "Close",
        "changed",
        "free counter statistics",
        "128 مشاهدة",
        "1,204 مشاهدات",
        "٣٤ مشاهدة",
        "50 views",
        "اترك تعليقاً",
        "اقرأ أيضاً:",
        "اقرأ أيضا: العراق هو سادس أكبر مستورد من تركيا",
        "Read more: something else",
        "المصدر:",
        " | شارك | ",
    ],
)
def test_page_furniture_lines_are_boilerplate(line: str) -> None:
    assert is_boilerplate(split_lines(line)[0].norm)


@pytest.mark.parametrize(
    "line",
    [
        "قال لافروف إن العلاقات قوية",
        "مشاهدة المباراة كانت ممتعة",
        "128",
        "شارك وزير الخارجية في القمة",
        "Closer ties between Beijing and Moscow",
        "المصدر الدبلوماسي قال إن الزيارة ناجحة",
    ],
)
def test_article_sentences_that_resemble_furniture_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(split_lines(line)[0].norm)


@pytest.mark.parametrize(
    "trailer",
    [
        "المصادر:\nوكالات",
        "المصدر: وكالات",
        "المصدر\nالجزيرة نت\n128 مشاهدة\nاترك تعليقاً",
        "المصادر:\nرويترز\nوكالات\nشارك القصة",
    ],
)
def test_a_sources_trailer_and_its_short_attribution_lines_are_cut(trailer: str) -> None:
    body = "قال الوزير إن المحادثات كانت مثمرة وبناءة.\nوأضاف أن التعاون سيستمر في الأعوام المقبلة."
    article = parse_article("x.txt", f"{body}\n{trailer}\n")
    assert article.cleaned == body


def test_a_source_word_followed_by_more_article_text_is_not_a_trailer() -> None:
    text = "عنوان الخبر\nالمصدر:\nقال الوزير إن المحادثات كانت مثمرة وبناءة وإن الجانبين اتفقا على متابعة العمل."
    article = parse_article("x.txt", text)
    assert "قال الوزير إن المحادثات كانت مثمرة" in article.cleaned
    assert "المصدر" not in article.cleaned


def test_boilerplate_in_the_middle_splits_blocks_and_never_reaches_a_chunk() -> None:
    text = (
        "عنوان: لقاء في بكين\n"
        "الفقرة الأولى تتحدث عن لقاء الوزيرين في بكين وعن العلاقات الثنائية.\n"
        "شارك القصة\n"
        "128 مشاهدة\n"
        "الفقرة الثانية تتحدث عن الأزمة في أوكرانيا ومواقف الطرفين منها.\n"
        "صورة الوزيرين - رويترز\n"
        "الفقرة الثالثة تتحدث عن منظمة شنغهاي للتعاون.\n"
        "صورة الوزيرين - رويترز\n"
    )
    article = parse_article("x.txt", text)
    chunks = chunks_of(article, chunk_tokens=400)
    assert len(article.blocks) == 3
    for chunk in chunks:
        assert article.original[chunk.start : chunk.end] == chunk.text
        for furniture in ("شارك القصة", "مشاهدة", "رويترز"):
            assert furniture not in chunk.text
    assert "".join(c.text for c in chunks).count("الفقرة") == 3


# --- blocks and metadata ---------------------------------------------------------------


@pytest.mark.parametrize("name", ARTICLE_NAMES)
def test_blocks_are_ordered_trimmed_slices_separated_by_removed_text(name: str) -> None:
    article = bundled(name)
    text = article.original
    for block in article.blocks:
        piece = text[block.start : block.end]
        assert piece and piece == piece.strip()
    for before, after in zip(article.blocks, article.blocks[1:], strict=False):
        assert before.end < after.start
        assert text[before.end : after.start].strip(), "adjacent blocks must have merged"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        (A001, "لافروف في الصين.. مباحثات حول التعاون الإستراتيجي وأمن أوراسيا"),
        (
            A002,
            "وزير الخارجية الصيني: يتعين على بكين وموسكو تعزيز الاتصالات الاستراتيجية في الوقت المناسب",
        ),
        (A004, "وزيرا خارجية الصين وروسيا يؤكدان التعاون الاستراتيجي بين بكين وموسكو"),
    ],
)
def test_a_headline_line_is_the_title(name: str, title: str) -> None:
    assert bundled(name).title == title


@pytest.mark.parametrize("name", [A000, A003])
def test_an_article_without_a_headline_is_titled_by_its_shortened_first_sentence(name: str) -> None:
    article = bundled(name)
    assert article.title.endswith("…")
    assert len(article.title) <= 111
    assert article.original.startswith(article.title[:-1])


@pytest.mark.parametrize(
    ("name", "date"), [(A000, None), (A001, "2024-04-29"), (A002, None), (A003, None), (A004, None)]
)
def test_the_publication_date_is_read_from_a_date_line(name: str, date: str | None) -> None:
    assert bundled(name).date == date


@pytest.mark.parametrize(
    ("first_lines", "date"),
    [
        ("الجمعة 3 مايو 2024\nعنوان", "2024-05-03"),
        ("15 تشرين الثاني 2023\nعنوان", "2023-11-15"),
        ("عنوان\nالإثنين 29 أبريل / أبريل 2024", "2024-04-29"),
        ("عنوان\nنص\nنص آخر\n3 مايو 2024", None),
        ("32 مايو 2024\nعنوان", None),
        (
            "في 20 مارس 2023 زار الرئيس الصيني موسكو والتقى نظيره الروسي في الكرملين لساعات طويلة",
            None,
        ),
        ("", None),
    ],
)
def test_a_date_is_found_only_in_a_short_line_among_the_first_three(
    first_lines: str, date: str | None
) -> None:
    assert find_date(split_lines(first_lines))[0] == date


@pytest.mark.parametrize("name", ARTICLE_NAMES)
def test_every_bundled_article_is_arabic(name: str) -> None:
    assert bundled(name).language == "ar"


def test_an_english_article_is_detected_as_english() -> None:
    article = parse_article(
        "en.txt", "Lavrov meets Wang Yi\nThe ministers discussed Ukraine and Eurasia."
    )
    assert article.language == "en"


@pytest.mark.parametrize("name", [A002, A003])
def test_an_article_without_boilerplate_keeps_every_character(name: str) -> None:
    article = bundled(name)
    assert article.char_count == len(article.original.strip())
    assert len(article.blocks) == 1


@pytest.mark.parametrize("name", [A000, A001, A004])
def test_the_character_count_excludes_removed_boilerplate(name: str) -> None:
    article = bundled(name)
    assert article.char_count == sum(b.end - b.start for b in article.blocks)
    assert article.char_count < len(article.original.strip())


def test_the_content_hash_is_that_of_the_file_bytes() -> None:
    import hashlib

    path = BUNDLED_ARTICLES / A001
    assert load_article(path).content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


# --- encodings and refused files -------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "newline"),
    [(True, "\r\n"), (True, "\n"), (False, "\r\n"), (False, "\r")],
    ids=["bom-crlf", "bom-lf", "crlf", "cr"],
)
@pytest.mark.parametrize("name", [A001, A004])
def test_bom_and_windows_line_ends_are_accepted_with_offsets_true_in_the_decoded_text(
    tmp_path: Path, name: str, bom: bool, newline: str
) -> None:
    plain = bundled(name)
    raw = ("\ufeff" if bom else "") + plain.original.replace("\n", newline)
    path = tmp_path / name
    path.write_bytes(raw.encode("utf-8"))
    article = load_article(path)
    assert "\r" not in article.original and "\ufeff" not in article.original
    assert (article.title, article.date, article.blocks) == (plain.title, plain.date, plain.blocks)
    chunks = chunks_of(article)
    assert [(c.chunk_id, c.start, c.end) for c in chunks] == [
        (c.chunk_id, c.start, c.end) for c in chunks_of(plain)
    ]
    for chunk in chunks:
        assert article.original[chunk.start : chunk.end] == chunk.text


BAD_FILES = [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b" \n\r\n\t\n", "empty"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    ("cp1256.txt", "قال لافروف إن العلاقات قوية".encode("cp1256"), "not UTF-8"),
    ("latin1.txt", "café au lait".encode("latin-1"), "not UTF-8"),
    ("furniture.txt", "شارك القصة\nClose\n128 مشاهدة\n".encode(), "boilerplate"),
]


@pytest.mark.parametrize(("name", "raw", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_with_one_line_naming_it_and_saying_why(
    tmp_path: Path, name: str, raw: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    with pytest.raises(UserError) as caught:
        load_article(path)
    message = str(caught.value)
    assert message.startswith(f"{name}: skipped")
    assert reason in message
    assert "\n" not in message


def test_an_oversized_file_is_refused_by_its_size_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: instant, takes no disk space
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self.name} was read"))
    with pytest.raises(UserError) as caught:
        load_article(path, max_bytes=10 * 1024 * 1024)
    message = str(caught.value)
    assert message.startswith("huge.txt: refused")
    assert "52.4 MB" in message and "10 MB limit" in message


def test_bytes_over_the_limit_are_refused_before_decoding() -> None:
    with pytest.raises(UserError, match=r"^big\.txt: refused"):
        decode_article(b"\xff" * 2000, "big.txt", max_bytes=1000)


def test_a_file_that_cannot_be_read_is_named_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"^gone\.txt: skipped, cannot read it"):
        load_article(tmp_path / "gone.txt")


# --- listing the folder ----------------------------------------------------------------


def test_only_txt_files_directly_in_the_folder_are_listed_in_name_order(tmp_path: Path) -> None:
    for name in ("b.txt", "a.TXT", "مقال جديد.txt", "notes.md", "c.txt.bak"):
        (tmp_path / name).write_text("نص", encoding="utf-8")
    (tmp_path / "sub.txt").mkdir()
    (tmp_path / "sub.txt" / "inner.txt").write_text("نص", encoding="utf-8")
    assert [p.name for p in list_article_files(tmp_path)] == ["a.TXT", "b.txt", "مقال جديد.txt"]


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_data_folder_that_is_not_a_folder_is_a_user_error(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "articles"
    if kind == "file":
        target.write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="does not exist" if kind == "missing" else "not a folder"):
        list_article_files(target)
