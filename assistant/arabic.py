"""Arabic text analysis shared by the index and the query side: normalise, fold, stem.

What it does: orthographic normalisation (diacritics, tatweel, hamza forms, invisible
and bidi control characters, Arabic-Indic digits), targeted folding of foreign-name
spellings that differ between outlets (وانج/وانغ, شنجهاي/شانجهاي/شنغهاي …), clitic
stripping and Snowball light stemming, and language detection.

What it does not do: translation (see :mod:`assistant.bridge`) or sentence splitting
(see :mod:`assistant.splitter`). Index and query must call the *same* functions here,
otherwise BM25 silently stops matching.

Recipe measured in GUIDE.md: fold ة→ه and ى→ي *after* stemming; no stopword list.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DIACRITICS = {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670", "\u0640"}
_DIACRITICS |= {chr(c) for c in range(0x0610, 0x061B)} | {chr(c) for c in range(0x06D6, 0x06EE)}
_INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\ufeff", "\u00ad",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
}  # fmt: skip
_CHAR_MAP = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي",
    "“": '"', "”": '"', "«": '"', "»": '"', "„": '"', "‘": "'", "’": "'",
    "\u00a0": " ", "\t": " ", "\r": " ",
}  # fmt: skip
for _i in range(10):
    _CHAR_MAP[chr(0x0660 + _i)] = str(_i)
    _CHAR_MAP[chr(0x06F0 + _i)] = str(_i)
_FINAL_FOLD = {"ة": "ه", "ى": "ي"}

# Foreign names spelled differently across outlets, folded to one canonical form. Keys and
# values are already normalised. Targeted on purpose: a global غ↔ج fold merges real
# words (غرب/جرب), which GUIDE.md measured as harmful.
NAME_FOLDS: dict[str, str] = {
    "وانج": "وانغ", "وانق": "وانغ",
    "شنجهاي": "شنغهاي", "شانجهاي": "شنغهاي", "شانغهاي": "شنغهاي", "شنغاي": "شنغهاي",
    "سيرجي": "سيرغي", "سيرجيه": "سيرغي",
    "بينج": "بينغ", "جينبينغ": "بينغ",
    "جانج": "غانغ", "قانغ": "غانغ", "جانغ": "غانغ",
    "لافرف": "لافروف", "لافروف": "لافروف", "فلاديمير": "فلاديمير",
    "طشقنت": "طشقند",
    "بكين": "بكين", "بيجين": "بكين", "بيجينغ": "بكين",
    "اوراسيه": "اوراسيا",
    "بريكس": "بريكس", "البريكس": "بريكس",
}  # fmt: skip

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_ARABIC_LETTER_RE = re.compile(r"[\u0621-\u064A\u0671-\u06D3]")
_LATIN_LETTER_RE = re.compile(r"[A-Za-z]")
_PREFIXES = ("وبال", "وكال", "فبال", "وال", "بال", "كال", "فال", "لل", "ال")
_ONE_LETTER_PREFIXES = ("و",)  # ب ل ك ف also start many names (فلاديمير, لافروف): not stripped


def normalize_with_map(text: str, fold_final: bool = True) -> tuple[str, list[int]]:
    """Normalise ``text`` and return, for each output character, its index in ``text``.

    Diacritics, tatweel and invisible characters are dropped, hamza forms and Arabic-Indic
    digits are unified, Latin is case-folded and whitespace runs collapse to one space.

    >>> normalize_with_map("أَحْمـد  ٢")
    ('احمد 2', [0, 2, 4, 6, 7, 9])
    """
    out: list[str] = []
    index: list[int] = []
    prev_space = True
    for i, ch in enumerate(text):
        if ch in _DIACRITICS or ch in _INVISIBLE:
            continue
        ch = _CHAR_MAP.get(ch, ch)
        if fold_final:
            ch = _FINAL_FOLD.get(ch, ch)
        if ch.isspace():
            if prev_space:
                continue
            ch, prev_space = " ", True
        else:
            if unicodedata.category(ch) == "Cc":
                continue
            prev_space = False
            if ch.isascii() or "\u00c0" <= ch <= "\u024f":
                lowered = ch.lower()  # "İ".lower() is "i" + U+0307: keep one char, map 1:1
                ch = lowered[0]
        out.append(ch)
        index.append(i)
    if out and out[-1] == " ":
        out.pop()
        index.pop()
    return "".join(out), index


def normalize(text: str, fold_final: bool = True) -> str:
    """Normalised form of ``text`` for matching (see :func:`normalize_with_map`).

    Same result as ``normalize_with_map(text, fold_final)[0]``, 3-6x faster: it replaces
    only the distinct characters that change (table derived from ``normalize_with_map``
    itself) and collapses whitespace with ``split``. Hot path: ingest, embedding, BM25.

    >>> normalize("إِلى الصـــين")
    'الي الصين'
    """
    if not _FAST_OK or _C1_CONTROL.search(text):
        return normalize_with_map(text, fold_final)[0]
    table = _FAST_TABLES[fold_final]
    for ch in set(_FAST_PATTERNS[fold_final].findall(text)):
        text = text.replace(ch, table[ch])
    return " ".join(text.split())


def _char_table(fold_final: bool) -> dict[str, str]:
    """What :func:`normalize_with_map` makes of each non-space character it changes."""
    candidates = _DIACRITICS | _INVISIBLE | set(_CHAR_MAP) | set(_FINAL_FOLD)
    candidates |= {chr(c) for c in range(0x41, 0x5B)} | {chr(c) for c in range(0xC0, 0x250)}
    table = {}
    for ch in candidates:
        out = normalize_with_map(f"x{ch}x", fold_final)[0][1:-1]
        if not ch.isspace() and out != ch:
            table[ch] = out
    return table


# normalize()'s fast path; control characters that are not whitespace, C0 and C1 (dropped
# without resetting the space run), and a table whose outputs are themselves keys
# (order-dependent replaces) take the reference path.
_C1_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f\x80-\x84\x86-\x9f]")
_FAST_TABLES = {flag: _char_table(flag) for flag in (True, False)}
_FAST_PATTERNS = {
    flag: re.compile("[" + re.escape("".join(sorted(table))) + "]")
    for flag, table in _FAST_TABLES.items()
}
_FAST_OK = not any(c in table for table in _FAST_TABLES.values() for v in table.values() for c in v)


def detect_language(text: str) -> str:
    """``"ar"`` when Arabic letters outnumber Latin ones, else ``"en"`` (``"ar"`` if neither).

    >>> detect_language("What did Wang Yi say about أوكرانيا?")
    'en'
    """
    arabic = len(_ARABIC_LETTER_RE.findall(text))
    latin = len(_LATIN_LETTER_RE.findall(text))
    if latin > arabic:
        return "en"
    return "ar"


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer  # PyStemmer: C Snowball, imported lazily (cheap, but only indexers need it)

    return Stemmer.Stemmer("arabic")


def strip_clitics(word: str) -> str:
    """Remove the article and one-letter proclitics when enough of the word remains.

    >>> strip_clitics("والصين"), strip_clitics("بكين"), strip_clitics("للتعاون")
    ('صين', 'بكين', 'تعاون')
    """
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    if len(word) >= 5 and word[0] in _ONE_LETTER_PREFIXES:
        return word[1:]
    return word


@lru_cache(maxsize=200_000)
def analyse_word(word: str) -> str:
    """Index term for one normalised (not final-folded) word: fold names, strip, stem.

    >>> analyse_word("وانج") == analyse_word("وانغ")
    True
    """
    if not _ARABIC_LETTER_RE.search(word):
        return word
    folded = _fold_name(word)
    if folded is not None:
        return folded
    stripped = strip_clitics(word)
    folded = _fold_name(stripped)
    if folded is not None:
        return folded
    stem = _stemmer().stemWord(stripped) if len(stripped) > 3 else stripped
    stem = "".join(_FINAL_FOLD.get(c, c) for c in stem)
    return stem or stripped


_CANONICAL_NAMES = {v: v for v in NAME_FOLDS.values()}


def _fold_name(word: str) -> str | None:
    key = "".join(_FINAL_FOLD.get(c, c) for c in word)
    return NAME_FOLDS.get(key) or _CANONICAL_NAMES.get(key)


def analyse(text: str) -> list[str]:
    """Index terms of ``text``: the token stream BM25 sees, for documents and queries alike.

    >>> analyse("وانج يي") == analyse("وانغ يي")
    True
    """
    normalised = normalize(text, fold_final=False)
    return [analyse_word(w) for w in _WORD_RE.findall(normalised) if len(w) > 1 or w.isdigit()]


def words(text: str) -> list[str]:
    """Normalised, final-folded surface words of ``text`` (no stemming)."""
    return _WORD_RE.findall(normalize(text))
