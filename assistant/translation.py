"""Machine translation of one Arabic quote into English, with an LLM, checked.

A reader who does not read Arabic can ask for a cited quote in English. The translation
is the model's, so it is always labelled as machine translation, never replaces the
quote (which stays the evidence), and is checked: every number in the quote and every
name the lexicon knows (people, places, organisations) must come through. What did not
is listed in ``missing`` and the translation is marked unchecked.

What it does not do: translate without an LLM (offline there is no translation; the
English intro line of each quote says who speaks and where), or judge fluency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.arabic import normalize
from assistant.settings import Settings

LABEL = "Machine translation (language model); the Arabic quote is the evidence"
_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NAME_CATEGORIES = ("person", "place", "org")


@dataclass(frozen=True)
class Translation:
    """An English machine translation of ``quote``: ``checked`` when every number and known
    name of the quote is in ``text``; ``missing`` lists those that are not."""

    quote: str
    text: str
    checked: bool
    missing: tuple[str, ...] = ()
    label: str = LABEL

    def to_dict(self) -> dict[str, object]:
        return {"quote": self.quote, "translation": self.text, "label": self.label,
                "checked": self.checked, "missing": list(self.missing)}  # fmt: skip


def numbers_in(text: str) -> list[str]:
    """The numbers written in ``text`` (Arabic-Indic digits as Western ones).

    >>> numbers_in("في 20 مارس ٢٠٢٣، و3.5 مليار")
    ['20', '2023', '3.5']
    """
    return re.findall(r"\d+(?:[.,]\d+)?", text.translate(_ARABIC_INDIC))


def names_in(quote: str) -> list[tuple[str, tuple[str, ...]]]:
    """``(arabic form, english variants)`` of each lexicon name in ``quote``, longest first,
    a name inside a longer one counted once ("سيرغي لافروف", not also "لافروف")."""
    from assistant.bridge import load_lexicon

    norm = f" {normalize(quote)} "
    found: list[tuple[str, tuple[str, ...]]] = []
    forms = [
        (normalize(arabic), entry.english)
        for entry in load_lexicon().entries
        if entry.category in _NAME_CATEGORIES
        for arabic in entry.arabic
    ]
    for arabic, english in sorted(forms, key=lambda f: -len(f[0])):
        pattern = rf"(?<=[\s\"'«“(])(?:[وبلفك]|ال|و?بال|و?لل)?{re.escape(arabic)}(?=[\s.,،؛:\"'»”)])"
        if re.search(pattern, norm) and not any(arabic in longer for longer, _ in found):
            found.append((arabic, english))
    return found


def missing_items(quote: str, translation: str) -> tuple[str, ...]:
    """The numbers and names of ``quote`` that ``translation`` lost (empty: all kept)."""
    english = translation.translate(_ARABIC_INDIC).lower()
    lost = [n for n in dict.fromkeys(numbers_in(quote)) if n.replace(",", "") not in english.replace(",", "")]
    for arabic, variants in names_in(quote):
        if not any(_kept(v.lower(), english) for v in variants):
            lost.append(f"{variants[0]} ({arabic})")
    return tuple(lost)


def _kept(name: str, english: str) -> bool:
    """True when ``name`` or its adjective ("China" → "Chinese", "Russia" → "Russian") is in
    lower-case ``english``.

    >>> _kept("china", "the chinese minister"), _kept("iran", "in iraq")
    (True, False)
    """
    if name in english:
        return True
    return len(name) >= 5 and re.search(rf"\b{re.escape(name[:-1])}\w*", english) is not None


def translate_quote(llm: object, quote: str, settings: Settings | None = None) -> Translation:
    """The checked English machine translation of ``quote``. Raises BackendError."""
    from assistant.llm_chain import _invoke

    text = _invoke(llm, "translate_quote", translate_quote_inputs(quote), settings or Settings())  # type: ignore[arg-type]
    text = text.strip().strip('"«»“”').strip()
    missing = missing_items(quote, text)
    return Translation(quote=quote, text=text, checked=not missing, missing=missing)


def translate_quote_inputs(quote: str) -> dict[str, str]:
    """The variables of ``prompts/translate_quote.txt``."""
    from assistant.llm_chain import sanitize

    return {"quote": sanitize(quote)}
