"""Countries a question names and countries an article mentions, for refusing a question
about one country that an article about another would otherwise answer ("Morocco's olive
oil exports" answered by a sentence on Tunisia's).

The names are the Unicode CLDR's country names in Arabic and English, as shipped by Babel
(no hand-written list, so no list fitted to our articles). A country named in a question
is matched on whole words (Arabic: after ال and one-letter proclitics; English: capitalised,
as written), so that "مايو" (May) is not Mayotte; an article mentions a country when its
analysed words hold the name's stems, or the start of one (the adjective "التونسية" is
Tunisia), which is lenient on purpose: a missed mention refuses a good answer. This module
does not translate, retrieve or decide: :mod:`assistant.extractive` refuses when the
articles it quotes mention none of a country the question names.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

from assistant.arabic import analyse, normalize

log = logging.getLogger(__name__)

# CLDR regions that are not countries, and Arabic country names that are everyday words
# ("مالي": financial, "بنين": sons), which would make a question name a country it does not.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AQ"})
COMMON_WORDS = frozenset({"ML", "BJ"})
# English names in everyday and news use that CLDR no longer gives (it renamed the country or
# writes a longer official form): a question about "Turkey" names the country CLDR calls
# "Türkiye". Not fitted to any article: the renamings and short forms of the CLDR list.
OTHER_ENGLISH_NAMES: dict[str, tuple[str, ...]] = {
    "TR": ("Turkey",),
    "CZ": ("Czech Republic",),
    "SZ": ("Swaziland",),
    "CI": ("Ivory Coast",),
    "MK": ("Macedonia",),
    "TL": ("East Timor",),
    "CV": ("Cabo Verde",),
    "PS": ("Palestine",),
    "GB": ("Britain", "Great Britain", "UK", "U.K."),
    "US": ("USA", "US", "U.S.", "United States of America", "America"),
    "AE": ("UAE",),
    "HK": ("Hong Kong",),
    "MO": ("Macau", "Macao"),
    "VA": ("Vatican", "Holy See"),
    "CD": ("DR Congo", "DRC", "Democratic Republic of the Congo"),
}
# The same for Arabic: news writes "بريطانيا" where CLDR has "المملكة المتحدة", so an article
# on Britain mentions it and a question on "بريطانيا" names it.
OTHER_ARABIC_NAMES: dict[str, tuple[str, ...]] = {
    "GB": ("بريطانيا",),
    "US": ("أمريكا", "أميركا"),
    "AE": ("الإمارات",),
    "PS": ("فلسطين",),
    "MK": ("مقدونيا",),
    "CZ": ("تشيكيا",),
    "SZ": ("سوازيلاند",),
    "HK": ("هونغ كونغ",),
    "MO": ("ماكاو",),
    "CD": ("الكونغو الديمقراطية",),
}
_PROCLITICS = "وبلفك"


@lru_cache(maxsize=1)
def country_names() -> dict[str, tuple[str, str]]:
    """Region code → (Arabic name, English name) of every CLDR country as CLDR writes them
    (brackets included), or {} without Babel (the check is then off: refusing needs the names)."""
    try:
        from babel import Locale
    except ImportError:  # pragma: no cover - babel is a declared dependency
        log.warning("babel is not installed: questions naming a country the articles omit are not refused")
        return {}
    arabic, english = Locale("ar").territories, Locale("en").territories
    return {
        code: (arabic[code], english.get(code, ""))
        for code in arabic
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES | COMMON_WORDS
    }


@lru_cache(maxsize=1)
def english_names() -> dict[str, tuple[str, ...]]:
    """Code → every English name a question may write for the country: CLDR's, the name in
    its brackets ("Myanmar (Burma)"), the name without accents ("Turkiye", "Cote d'Ivoire")
    and :data:`OTHER_ENGLISH_NAMES`."""
    names: dict[str, tuple[str, ...]] = {}
    for code, (_, written) in country_names().items():
        forms = _bracketed(written)
        forms += [_without_accents(form) for form in forms] + list(OTHER_ENGLISH_NAMES.get(code, ()))
        names[code] = tuple(dict.fromkeys(form for form in forms if form))
    return names


@lru_cache(maxsize=1)
def arabic_names() -> dict[str, tuple[str, ...]]:
    """Code → every Arabic name of the country: CLDR's without and within its brackets
    ("ميانمار (بورما)") and :data:`OTHER_ARABIC_NAMES`."""
    names: dict[str, tuple[str, ...]] = {}
    for code, (written, _) in country_names().items():
        forms = _bracketed(written) + list(OTHER_ARABIC_NAMES.get(code, ()))
        names[code] = tuple(dict.fromkeys(form for form in forms if form.strip()))
    return names


def _bracketed(written: str) -> list[str]:
    """A CLDR name without its brackets, then what they hold: "Myanmar (Burma)" → ["Myanmar",
    "Burma"]."""
    return [re.sub(r"\s*\(.*\)", "", written), *re.findall(r"\((.*?)\)", written)]


def _without_accents(name: str) -> str:
    """``name`` with its accents and typographic apostrophe dropped ("Côte d’Ivoire" →
    "Cote d'Ivoire"), as a question typed on an English keyboard writes it."""
    decomposed = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _bare(word: str) -> str:
    """A normalised Arabic word without its article and one-letter proclitics ("والمغرب" →
    "مغرب"), as long as three letters remain."""
    for prefix in ("ال", "وال", "بال", "فال", "كال", "لل"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    if len(word) > 4 and word[0] in _PROCLITICS:
        return _bare(word[1:])
    return word


def _arabic_words(text: str) -> list[str]:
    return [_bare(w) for w in re.findall(r"\w+", normalize(text))]


@lru_cache(maxsize=1)
def _question_forms() -> dict[str, tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]]:
    """Code → (each Arabic name as bare words, the English names)."""
    english, arabic = english_names(), arabic_names()
    return {
        code: (tuple(tuple(_arabic_words(form)) for form in arabic[code]), english[code])
        for code in country_names()
    }


@lru_cache(maxsize=256)
def named_countries(question: str) -> frozenset[str]:
    """Codes of the countries ``question`` names by their Arabic or English name (kept per
    question: the answer checks ask for them more than once, ~5 ms each).

    >>> sorted(named_countries("كم بلغت صادرات المغرب من زيت الزيتون؟"))
    ['MA']
    >>> sorted(named_countries("What did Wang Yi say about China and the United States in May?"))
    ['CN', 'US']
    """
    words = _arabic_words(question)
    joined = f" {' '.join(words)} "
    return frozenset(
        code
        for code, (arabic, english) in _question_forms().items()
        if any(form and f" {' '.join(form)} " in joined for form in arabic)
        or any(_names_in_english(name, question) for name in english)
    )


def _names_in_english(name: str, question: str) -> bool:
    """True when ``question`` holds the English country ``name`` as written (capitalised),
    as whole words."""
    return bool(name) and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", question.replace("\u2019", "'")) is not None


@lru_cache(maxsize=1)
def _stems() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Code → the stems of each of the country's Arabic names."""
    return {code: tuple(tuple(analyse(form)) for form in forms) for code, forms in arabic_names().items()}


def mentioned_countries(text: str) -> frozenset[str]:
    """Codes of the countries ``text`` (Arabic) mentions, leniently (module doc).

    >>> sorted(mentioned_countries("قالت وزارة الفلاحة التونسية إن الصادرات ارتفعت")) == ["TN"]
    True
    """
    terms = set(analyse(text))
    return frozenset(
        code
        for code, names in _stems().items()
        if any(stems and all(any(_stem_match(term, stem) for term in terms) for stem in stems) for stems in names)
    )


def _stem_match(term: str, stem: str) -> bool:
    """``term`` is ``stem``, starts with it, or is a start of it of at least three letters
    (the stemmer cuts "السوداني" to "سود", "سودان" being the name)."""
    return term.startswith(stem) or (len(term) >= 3 and stem.startswith(term))


# English adjective and people endings a country name takes ("Algerian", "Kuwaiti",
# "Sudanese", "Jordanians"), tried shortest first ("Nigerian" is Nigeria, not Niger).
_DEMONYM_ENDINGS = ("", "s", "n", "i", "is", "an", "ns", "ese", "ian", "ans", "ians")
# "Ital" names Italy, "Leban" Lebanon: at most this many letters of the name left off.
_DEMONYM_CUT = 2


@lru_cache(maxsize=1)
def _english_one_word() -> dict[str, str]:
    """Every one-word English country name (as written) → its code."""
    names = english_names().items()
    return {name: code for code, forms in names for name in forms if name.isalpha()}


@lru_cache(maxsize=4096)
def english_country(word: str) -> str | None:
    """The code of the country a capitalised English word names or qualifies: the name itself,
    or its adjective or people ("Algerian", "Kuwaiti", "Palestinian", "Italian"); None for any
    other word, and for a start shared by several countries ("Guinean").

    >>> english_country("Algeria"), english_country("Kuwaiti"), english_country("Italian"), english_country("Which")
    ('DZ', 'KW', 'IT', None)
    >>> english_country("Sudan's")
    'SD'
    """
    word = re.sub(r"['’]s?$", "", word)  # "Kuwait's", "Jordanians'"
    if not word[:1].isupper() or len(word) < 4:
        return None
    names = _english_one_word()
    stems = [word[: len(word) - len(end)] for end in _DEMONYM_ENDINGS if word.endswith(end)]
    for stem in stems:
        if stem in names:
            return names[stem]
    for stem in (s for s in stems if len(s) >= 4):
        found = {
            code
            for name, code in names.items()
            if name.startswith(stem) and len(name) - len(stem) <= _DEMONYM_CUT
        }
        if len(found) == 1:
            return found.pop()
    return None


def arabic_forms(code: str) -> tuple[str, ...]:
    """The Arabic words a text uses for the country ``code``: its one-word names (every name,
    when it has none of one word) and their adjectives ("الجزائر" → "الجزائري", "الجزائرية";
    "إيطاليا" → "إيطالي", "إيطالية"), which the stemmer does not bring back to the name.

    >>> arabic_forms("DZ")
    ('الجزائر', 'الجزائري', 'الجزائرية')
    """
    names = arabic_names().get(code, ())
    single = [name for name in names if " " not in name.strip()] or list(names)
    forms: list[str] = []
    for name in single:
        base = name[:-2] if name.endswith(("ية", "يا")) else name.removesuffix("ا").removesuffix("ي")
        forms += [name] if " " in name.strip() else [name, base + "ي", base + "ية"]
    return tuple(dict.fromkeys(forms))


@lru_cache(maxsize=1)
def form_stems() -> dict[str, str]:
    """Analysed term → code, for the one-word :func:`arabic_forms` of every country, when no
    other country shares the term (a name of several words gives none: "منطقة" and "المحيط"
    in "منطقة هونغ كونغ …" and "… في المحيط الهندي" are everyday words)."""
    found: dict[str, set[str]] = {}
    for code in arabic_names():
        for form in (f for f in arabic_forms(code) if " " not in f.strip()):
            for term in analyse(form):
                found.setdefault(term, set()).add(code)
    return {term: next(iter(codes)) for term, codes in found.items() if len(codes) == 1}


def country_of_terms(terms: frozenset[str] | set[str]) -> str | None:
    """The code of the country one of the analysed ``terms`` names ("جزاير" → DZ), if any.

    >>> country_of_terms({"ارد"}), country_of_terms({"اجتماع"})
    ('JO', None)
    """
    stems = form_stems()
    return next((stems[t] for t in sorted(terms) if t in stems), None)

