"""Load article files and find the spans worth indexing (boilerplate removed), with metadata.

What it does: decode a ``.txt`` file (UTF-8, UTF-8 with BOM, CRLF line ends), refuse
binary, non-UTF-8, empty and oversized files with a one-line reason, drop web-page
boilerplate seen in scraped news (share buttons, view counters, "read also" links,
repeated titles and image captions, source trailers), and extract title, publication
date and language.

What it does not do: change the text. Cleaning keeps *spans* of the original (decoded)
text, so every offset downstream is an offset into the file as a reader sees it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.arabic import detect_language, normalize
from assistant.errors import UserError
from assistant.models import Article, Span

BOILERPLATE_LINES = {
    normalize(s)
    for s in (
        "شارك القصة", "شارك المقال", "تابع القراءة", "Close", "Changed", "free counter statistics",
        "اترك تعليقاً", "اترك تعليقا", "أضف تعليقاً", "المصدر", "المصدر:", "المصادر", "المصادر:",
        "اقرأ أيضاً", "اقرأ أيضاً:", "اقرأ أيضا:", "اقرأ أيضا", "شارك", "طباعة", "Share", "Print",
    )
}  # fmt: skip
_VIEW_COUNTER = re.compile(r"^\d[\d,.]*\s*(مشاهده|مشاهدات|views?|قراءه)$")
_READ_ALSO = re.compile(r"^(اقرا ايضا|اقرا المزيد|read also|read more)\s*:?")
_SOURCES_TRAILER = re.compile(r"^(المصادر|المصدر)\s*:")
_AR_MONTHS = {
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "مايو": 5, "يونيو": 6, "يوليو": 7,
    "اغسطس": 8, "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6, "تموز": 7,
    "اب": 8, "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الاول": 12,
}  # fmt: skip
_MONTH_ALT = "|".join(sorted(_AR_MONTHS, key=len, reverse=True))
_DATE_RE = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_MONTH_ALT})(?:\s*/\s*(?:{_MONTH_ALT}))?\s+(\d{{4}})")
DAY_NAMES = ("السبت", "الاحد", "الاثنين", "الثلاثاء", "الاربعاء", "الخميس", "الجمعه")


@dataclass(frozen=True)
class Line:
    """One line of the original text: its span and its normalised form."""

    start: int
    end: int
    norm: str


def decode_article(raw: bytes, name: str, max_bytes: int) -> str:
    """Decode file bytes to text, or raise :class:`UserError` saying why it was refused."""
    if len(raw) > max_bytes:
        raise UserError(f"{name}: refused, {len(raw) / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit")
    if not raw.strip():
        raise UserError(f"{name}: skipped, the file is empty")
    if b"\x00" in raw[:8192]:
        raise UserError(f"{name}: skipped, it is a binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{name}: skipped, not UTF-8 text (bad byte at {exc.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_lines(text: str) -> list[Line]:
    """Non-blank lines of ``text`` with spans trimmed of surrounding whitespace."""
    lines = []
    for match in re.finditer(r"[^\n]+", text):
        raw = match.group()
        left = len(raw) - len(raw.lstrip())
        right = len(raw.rstrip())
        if right > left:
            lines.append(Line(match.start() + left, match.start() + right, normalize(raw)))
    return lines


def is_boilerplate(norm: str) -> bool:
    """True for a normalised line that is page furniture rather than article text.

    >>> is_boilerplate("128 مشاهده"), is_boilerplate("قال لافروف")
    (True, False)
    """
    stripped = norm.strip(" :.-|")
    return (
        norm in BOILERPLATE_LINES
        or stripped in BOILERPLATE_LINES
        or bool(_VIEW_COUNTER.match(stripped))
        or bool(_READ_ALSO.match(norm))
    )


def find_date(lines: list[Line]) -> tuple[str | None, int | None]:
    """ISO date from a date line among the first three lines, and that line's index."""
    for i, line in enumerate(lines[:3]):
        match = _DATE_RE.search(line.norm)
        if match and len(line.norm) < 60:
            day, month, year = int(match.group(1)), _AR_MONTHS[match.group(2)], match.group(3)
            if 1 <= day <= 31:
                return f"{year}-{month:02d}-{day:02d}", i
    return None, None


def _is_date_only(norm: str) -> bool:
    rest = _DATE_RE.sub("", norm)
    for day in DAY_NAMES:
        rest = rest.replace(day, "")
    return len(rest.strip(" ,،-/|")) == 0


def drop_trailers(lines: list[Line]) -> list[Line]:
    """Cut a "sources:" trailer (and the short attribution lines after it) at the end."""
    for i, line in enumerate(lines):
        if _SOURCES_TRAILER.match(line.norm) or line.norm.strip(" :") in {"المصادر", "المصدر"}:
            tail = lines[i + 1 :]
            if all(is_boilerplate(t.norm) or len(t.norm.split()) <= 3 for t in tail):
                return lines[:i]
    return lines


def keep_lines(lines: list[Line]) -> list[Line]:
    """Remove boilerplate, repeated titles and doubled image captions; keep the rest in order."""
    lines = [ln for ln in drop_trailers(lines) if not is_boilerplate(ln.norm)]
    counts = Counter(ln.norm for ln in lines)
    first_content = lines[0].norm if lines else ""
    kept, seen = [], set()
    for line in lines:
        if line.norm in seen:
            continue
        seen.add(line.norm)
        # A short line printed twice that is not the title is an image caption.
        if counts[line.norm] > 1 and line.norm != first_content and len(line.norm) < 160:
            continue
        kept.append(line)
    return kept


def make_blocks(text: str, lines: list[Line]) -> tuple[Span, ...]:
    """Merge kept lines into maximal blocks that are contiguous in ``text``.

    Two kept lines join when only whitespace lies between them, so a block never
    contains removed boilerplate and any slice of it is real article text.
    """
    blocks: list[Span] = []
    for line in lines:
        if blocks and not text[blocks[-1].end : line.start].strip():
            blocks[-1] = Span(blocks[-1].start, line.end)
        else:
            blocks.append(Span(line.start, line.end))
    return tuple(blocks)


def make_title(text: str, lines: list[Line]) -> str:
    """The first kept line if it reads like a headline, else the start of the first sentence."""
    if not lines:
        return ""
    first = text[lines[0].start : lines[0].end].strip()
    if len(first) <= 140:
        return first
    cut = re.split(r"[.!?؟]\s", first, maxsplit=1)[0]
    return (cut[:110].rsplit(" ", 1)[0].rstrip("،, ") + "…") if len(cut) > 110 else cut


def parse_article(source: str, text: str, content_hash: str | None = None) -> Article:
    """Clean already-decoded ``text`` of the article named ``source``.

    ``content_hash`` is the SHA-256 of the file's bytes (defaults to that of ``text``).
    """
    all_lines = split_lines(text)
    date, date_index = find_date(all_lines)
    if date_index is not None and _is_date_only(all_lines[date_index].norm):
        all_lines = all_lines[:date_index] + all_lines[date_index + 1 :]
    kept = keep_lines(all_lines)
    if not kept:
        raise UserError(f"{source}: skipped, nothing but page boilerplate in it")
    blocks = make_blocks(text, kept)
    body = " ".join(text[b.start : b.end] for b in blocks)
    return Article(
        source=source,
        original=text,
        blocks=blocks,
        title=make_title(text, kept),
        date=date,
        language=detect_language(body),
        content_hash=content_hash or hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_article(path: Path, max_bytes: int = 10 * 1024 * 1024) -> Article:
    """Read and clean one article file; :class:`UserError` names the file when refused."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UserError(f"{path.name}: refused, {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit")
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path.name}: skipped, cannot read it ({exc.strerror})") from None
    text = decode_article(raw, path.name, max_bytes)
    return parse_article(path.name, text, hashlib.sha256(raw).hexdigest())


def list_article_files(data_dir: Path) -> list[Path]:
    """The ``*.txt`` files directly in ``data_dir``, sorted by name; a clear error if missing."""
    if not data_dir.exists():
        raise UserError(f"{data_dir}: the folder does not exist")
    if not data_dir.is_dir():
        raise UserError(f"{data_dir}: not a folder")
    return sorted(p for p in data_dir.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
