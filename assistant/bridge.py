"""Offline English→Arabic query bridge: a bilingual lexicon plus transliteration of names.

What it does: turns an English (or mixed) question into Arabic surface forms that the
Arabic lexical index can match, with no model and no network. Three mechanisms:

* a hand-written bilingual lexicon (``assistant/data/en_ar_lexicon.tsv``, documented in
  ``assistant/data/README.md``) of the people, places, organisations and news vocabulary
  of the corpus, matched longest phrase first, case-insensitively, with a tiny rule-based
  English lemmatiser (``talks`` → ``talk``) used for lookups only;
* the Arabic names of countries the lexicon lacks, from CLDR's country names
  (:func:`assistant.countries.english_country`: "Kuwait", "Algerian");
* rule-based transliteration of capitalised names the lexicon lacks (``Zardari`` →
  skeleton ``زردر``), matched against the consonant skeletons of the corpus vocabulary.

What it does not do: translate sentences, stem Arabic (that is
:func:`assistant.arabic.analyse`, applied later by the index) or rank anything. The
result is a list of Arabic terms to add to the lexical query; the caller decides how.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from os import PathLike
from pathlib import Path

from assistant.arabic import detect_language, normalize, strip_clitics
from assistant.countries import arabic_forms, english_country

DEFAULT_LEXICON_PATH = Path(__file__).resolve().parent / "data" / "en_ar_lexicon.tsv"
CATEGORIES = frozenset({"person", "place", "org", "term"})

# Question words, auxiliaries, pronouns and request framing: never content, never reported
# as unmatched. Lexicon phrases may still contain them ("coalition of the willing").
_STOPWORD_TEXT = """
a an the of in on at to for from by with about as into onto over under after before
during between among against within without through via per than then so if or and
but nor not no yes what which who whom whose when where why how whether did do does
done doing is are was were be been being am has have had having will would shall
should can could may might must this that these those it its he she they them their
theirs his her hers him we our ours you your yours i me my mine us there here any
some all each every both either neither also too very just only more most much many
such other another own same up down out off again further once s t ll re ve d m didn
doesn don isn wasn weren aren won couldn wouldn shouldn hasn haven hadn tell explain
summarise summarize summary give show list please article articles text
mention mentioned mentions according happen happened happening make made makes
making get got go went come came know think want example instance compare
identify find outline name two kind sort type besides apart despite while since
shortly gives gave given giving
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
COUNTRY = "country"  # label of a country the lexicon lacks, named by CLDR: a name, like a transliteration
# Keys that are also ordinary lowercase words: they match only when written as below
# (or in capitals), so "tell us" and "what may happen" add no United States or مايو.
_CASED_KEYS = {"us": "US", "may": "May", "march": "March"}

_LATIN_WORD = r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?"
_ARABIC_WORD = r"[\u0621-\u064A\u064B-\u0652\u0640\u0670\u0671-\u06D3]+"
_TOKEN_RE = re.compile(f"{_LATIN_WORD}|{_ARABIC_WORD}")
_INITIALISM_RE = re.compile(r"\b((?:[A-Z]\.){2,})")
_ENGLISH_VARIANT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .'’&-]*")
_ARABIC_VARIANT_RE = re.compile(
    r"[\u0621-\u064A\u0670\u0671-\u06D3]+(?: [\u0621-\u064A\u0670\u0671-\u06D3]+)*"
)
_DROPPED_CONTRACTIONS = frozenset({"s", "t", "ll", "re", "ve", "d", "m"})


@dataclass(frozen=True)
class LexiconEntry:
    """One line of the lexicon: English variants, Arabic surface forms, a category."""

    english: tuple[str, ...]
    arabic: tuple[str, ...]
    category: str
    line: int

    @property
    def headword(self) -> str:
        """The first English variant, used to name the entry in results."""
        return self.english[0]


@dataclass(frozen=True)
class Lexicon:
    """Parsed lexicon with lookup indexes keyed by token tuples.

    ``exact`` maps lowercase token tuples to entries; ``lemma`` maps lemmatised tuples,
    consulted only when the exact form is absent (so "news" never becomes "new").
    """

    entries: tuple[LexiconEntry, ...]
    exact: dict[tuple[str, ...], LexiconEntry]
    lemma: dict[tuple[str, ...], LexiconEntry]
    max_words: int

    def lookup(self, words: tuple[str, ...]) -> LexiconEntry | None:
        """The entry for lowercase ``words``, trying the exact form before the lemmas."""
        hit = self.exact.get(words)
        if hit is None:
            hit = self.lemma.get(tuple(lemmatize(w) for w in words))
        return hit

    def by_category(self) -> dict[str, int]:
        """Number of entries per category (for reports and tests)."""
        counts = dict.fromkeys(sorted(CATEGORIES), 0)
        for entry in self.entries:
            counts[entry.category] += 1
        return counts


@dataclass(frozen=True)
class BridgeResult:
    """What the bridge found in a question.

    ``arabic_terms`` are Arabic surface forms in question order, deduplicated after
    normalisation; ``matched`` pairs each English phrase of the question with the lexicon
    headword (or ``"transliteration"``, ``"country"``, ``"number"``, ``"arabic"``) that produced terms;
    ``unmatched`` lists content words nothing could bridge.
    """

    arabic_terms: list[str] = field(default_factory=list)
    matched: list[tuple[str, str]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The Arabic terms joined by spaces: a query string for the Arabic index."""
        return " ".join(self.arabic_terms)


# --- English tokens -------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    text: str  # as written, minus a dropped contraction ("Lavrov's" -> "Lavrov")
    lower: str
    arabic: bool


def lemmatize(word: str) -> str:
    """Crude English lemma of a lowercase word, for lookups only (both sides use it).

    Strips plural -s/-es/-ies, then past -ed or -ing, or else a final -e, so that
    inflected forms meet their base form; the results need not be real words.

    >>> [lemmatize(w) for w in ("talks", "meetings", "countries", "agreed", "agree")]
    ['talk', 'meet', 'country', 'agre', 'agre']
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ied") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ed") and len(word) > 4:
        return _undouble(word[:-2])  # "agreed" -> "agre", as "agree" below
    if word.endswith("ing") and len(word) > 5:
        return _undouble(word[:-3])
    if word.endswith("e") and len(word) > 3:
        return word[:-1]
    return word


def _undouble(stem: str) -> str:
    """Drop a doubled final consonant left by -ed/-ing ("planned" -> "plan")."""
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] in "bgmnprt":
        return stem[:-1]
    return stem


@lru_cache(maxsize=1024)
def _latin_base(ch: str) -> str:
    """``é`` → ``e``: accents off Latin letters only (Arabic must not be decomposed)."""
    if "\u00c0" <= ch <= "\u024f":
        return "".join(c for c in unicodedata.normalize("NFKD", ch) if c.isascii())
    return ch


def _tokens(text: str) -> list[_Token]:
    """Latin words and Arabic words of ``text`` in order; initialisms lose their dots."""
    text = "".join(_latin_base(c) for c in text)
    text = _INITIALISM_RE.sub(lambda m: m.group(1).replace(".", ""), text)
    out: list[_Token] = []
    for match in _TOKEN_RE.finditer(text):
        raw = match.group(0)
        if raw[0].isascii():
            raw = _drop_contraction(raw)
            out.append(_Token(raw, raw.lower(), arabic=False))
        elif normalize(raw):  # a lone tatweel or diacritic is no word
            out.append(_Token(raw, normalize(raw), arabic=True))
    return out


def _drop_contraction(word: str) -> str:
    """``Lavrov's`` → ``Lavrov``, ``didn't`` → ``didn``, ``O'Neil`` → ``ONeil``."""
    for apostrophe in "'’":
        if apostrophe in word:
            head, tail = word.split(apostrophe, 1)
            return head if tail.lower() in _DROPPED_CONTRACTIONS else head + tail
    return word


# --- Lexicon file -----------------------------------------------------------------------


def parse_lexicon(text: str, source: str = "<lexicon>") -> Lexicon:
    """Parse lexicon text (format in ``assistant/data/README.md``); errors name the line.

    >>> lex = parse_lexicon("# demo\\nWang Yi\\tوانغ يي|وانج يي\\tperson\\n")
    >>> lex.lookup(("wang", "yi")).arabic
    ('وانغ يي', 'وانج يي')
    """
    entries: list[LexiconEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            entries.append(_parse_line(line, number, source))
    return _build_lexicon(entries, source)


def _parse_line(line: str, number: int, source: str) -> LexiconEntry:
    """One ``english<TAB>arabic<TAB>category`` line, validated field by field."""
    where = f"{source}: line {number}"
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) != 3:
        raise ValueError(f"{where}: expected 3 tab-separated fields, found {len(fields)}")
    english = _variants(fields[0], _ENGLISH_VARIANT_RE, f"{where}: English")
    arabic = _variants(fields[1], _ARABIC_VARIANT_RE, f"{where}: Arabic")
    category = fields[2].strip()
    if category not in CATEGORIES:
        raise ValueError(f"{where}: unknown category {category!r}, use one of {sorted(CATEGORIES)}")
    return LexiconEntry(english, arabic, category, number)


def _variants(field_text: str, pattern: re.Pattern[str], where: str) -> tuple[str, ...]:
    """Split a ``|``-separated field; every variant must be non-empty and match ``pattern``."""
    variants = tuple(v.strip() for v in field_text.split("|"))
    for variant in variants:
        if not variant or not pattern.fullmatch(variant):
            raise ValueError(f"{where} variant {variant!r} is empty or has wrong characters")
    return variants


def _build_lexicon(entries: list[LexiconEntry], source: str) -> Lexicon:
    """Index entries by exact and lemmatised keys; an exact key used twice is an error."""
    exact: dict[tuple[str, ...], LexiconEntry] = {}
    lemma: dict[tuple[str, ...], LexiconEntry] = {}
    for entry in entries:
        for variant in entry.english:
            key = tuple(token.lower for token in _tokens(variant))
            other = exact.get(key)
            if other is not None and other is not entry:
                raise ValueError(
                    f"{source}: line {entry.line}: {variant!r} already defined on line {other.line}"
                )
            exact[key] = entry
            lemma.setdefault(tuple(lemmatize(w) for w in key), entry)
    max_words = max((len(k) for k in exact), default=0)
    return Lexicon(tuple(entries), exact, lemma, max_words)


def load_lexicon(path: str | PathLike[str] | None = None) -> Lexicon:
    """The lexicon at ``path`` (default: the packaged one), parsed once and cached.

    >>> load_lexicon().lookup(("ukraine",)).arabic[0]
    'أوكرانيا'
    """
    if path is None:  # the hot path (every bridged phrase): no filesystem walk to resolve it
        return _load_lexicon_cached(DEFAULT_LEXICON_PATH)
    return _load_lexicon_cached(Path(path).resolve())


@lru_cache(maxsize=8)
def _load_lexicon_cached(path: Path) -> Lexicon:
    return parse_lexicon(path.read_text(encoding="utf-8"), source=str(path))


# --- Transliteration --------------------------------------------------------------------

# Latin letter groups → Arabic consonants (most likely first); "" means silent. Vowels,
# w and y are silent because skeletons drop ا و ي anyway.
_TRANSLIT: dict[str, tuple[str, ...]] = {
    "tch": ("تش",), "sch": ("ش",), "sh": ("ش",), "ch": ("تش", "ش", "ك"), "kh": ("خ",),
    "zh": ("ج", "تش", "ش"), "gh": ("غ", "ج"), "th": ("ث", "ت", "ذ"), "dh": ("ذ", "د", "ض"),
    "ph": ("ف",), "ts": ("تس", "تش"), "dj": ("ج",), "ck": ("ك",), "ng": ("نغ", "نج", "ن", "نق"),
    "b": ("ب",), "c": ("ك", "س", "تس"), "d": ("د", "ض"), "f": ("ف",), "g": ("غ", "ج", "ق"),
    "h": ("", "ه", "ح", "خ"), "j": ("ج",), "k": ("ك", "ق", "خ"), "l": ("ل",), "m": ("م",),
    "n": ("ن",), "p": ("ب",), "q": ("ق", "ك", "تش"), "r": ("ر",), "s": ("س", "ص"),
    "t": ("ت", "ط"), "v": ("ف",), "w": ("",), "x": ("ش", "كس", "س"), "y": ("",),
    "z": ("ز", "ذ", "ظ", "تس"),
}  # fmt: skip
_VOWELS = frozenset("aeiou")
_SKELETON_DROP = frozenset("اويىء")
_SKELETON_DELETE = str.maketrans("", "", "".join(_SKELETON_DROP))
MAX_CANDIDATES = 1024
MIN_SKELETON = 3  # shorter skeletons ("نغ") match too many unrelated words
MIN_FUZZY_SKELETON = 4  # edit distance 1 only between skeletons this long


def _latin_units(name: str) -> list[tuple[str, ...]]:
    """Arabic options for each letter group of ``name``, doubled letters collapsed."""
    letters = re.sub(r"(.)\1+", r"\1", "".join(c for c in name.lower() if c.isalpha()))
    units: list[tuple[str, ...]] = []
    i = 0
    while i < len(letters):
        size = next(n for n in (3, 2, 1) if n == 1 or letters[i : i + n] in _TRANSLIT)
        group = letters[i : i + size]
        if group in _VOWELS:
            options = _vowel_options(i, i + 1 == len(letters), group)
        else:
            options = _TRANSLIT.get(group, ("",))
        units.append(options)
        i += size
    return units


def _vowel_options(index: int, last: bool, vowel: str) -> tuple[str, ...]:
    """A vowel is silent, but may be ع word-initially or ة (folded ه) word-finally."""
    if index == 0:
        return ("", "ع")
    if last and vowel in "ae":
        return ("", "ه")
    return ("",)


def _limit(units: list[tuple[str, ...]], limit: int) -> list[tuple[str, ...]]:
    """Trim the most ambiguous groups to their likeliest options until few enough remain."""
    units = list(units)
    while _count(units) > limit:
        widest = max(range(len(units)), key=lambda k: len(units[k]))
        units[widest] = units[widest][:-1]
    return units


def _count(units: list[tuple[str, ...]]) -> int:
    total = 1
    for options in units:
        total *= len(options)
    return total


def transliterate(name: str) -> list[str]:
    """Candidate Arabic consonant skeletons of a Latin name, likeliest first.

    A skeleton is the consonants only (no ا و ي), runs of one letter collapsed, as made
    by :func:`skeleton` from Arabic words, so the two sides can be compared directly.

    >>> transliterate("Zardari")[0], "سمرقند" in transliterate("Samarkand")
    ('زردر', True)
    """
    candidates: dict[str, None] = {}
    for combo in product(*_limit(_latin_units(name), MAX_CANDIDATES)):
        candidates.setdefault(_collapse("".join(combo)), None)
    candidates.pop("", None)
    return list(candidates)


_REPEATS = re.compile(r"(.)\1+")


def _collapse(letters: str) -> str:
    return _REPEATS.sub(r"\1", letters)


def skeleton(word: str) -> str:
    """Consonant skeleton of an Arabic word: normalised, ال and ا و ي ى ء dropped.

    >>> skeleton("زرداري"), skeleton("الباكستاني")
    ('زردر', 'بكستن')
    """
    word = normalize(word)
    if word.startswith("ال") and len(word) > 4:
        word = word[2:]
    return _collapse(word.translate(_SKELETON_DELETE))


class SkeletonIndex(Collection[str]):
    """Vocabulary words indexed by consonant skeleton, for exact and edit-distance-1 lookup.

    Build it once per corpus and pass it wherever a vocabulary is expected; a plain
    collection of words is indexed on each call instead. Only the skeleton → words map is
    built; near matches are found by generating a skeleton's edit-distance-1 variants
    (about 30 × its length) and looking each up. An index of every vocabulary skeleton's
    deletions made lookups cheaper (0.2 ms a name, now 0.5 ms) but the build slower
    (0.80 s, now 0.31 s at 66k words, with a faster skeleton): a cost paid by the first
    English question naming someone the lexicon lacks, in a cold ``ask`` on every run.
    """

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._words: set[str] = set()
        self._by_skeleton: dict[str, set[str]] = {}
        for word in vocabulary:
            self._add(word)
        letters = {ch for key in self._by_skeleton for ch in key}
        self._alphabet = "".join(sorted(ch for ch in letters if "\u0600" <= ch <= "\u06ff"))

    def _add(self, word: str) -> None:
        self._words.add(word)
        key = skeleton(word)
        stripped = strip_clitics(word)
        keys = {key} if stripped == word else {key, skeleton(stripped)}
        if word.endswith("يه"):  # a woman's nisba surname: البلوشية is Balushi (البلوشي)
            keys.add(skeleton(word[:-1]))
        for form_key in keys:
            if len(form_key) >= MIN_SKELETON:
                self._by_skeleton.setdefault(form_key, set()).add(word)

    def exact(self, key: str) -> set[str]:
        """Words whose skeleton is ``key``."""
        return self._by_skeleton.get(key, set())

    def near(self, key: str) -> set[str]:
        """Skeletons (≥ MIN_FUZZY_SKELETON letters) within edit distance 1 of ``key``."""
        if len(key) < MIN_FUZZY_SKELETON:
            return set()
        return {
            v for v in _edits1(key, self._alphabet) if len(v) >= MIN_FUZZY_SKELETON and v in self._by_skeleton
        }

    def __contains__(self, word: object) -> bool:
        return word in self._words

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)


def _edits1(key: str, alphabet: str) -> set[str]:
    """``key`` and every string one deletion, substitution or insertion (of a letter of
    ``alphabet``) away from it."""
    splits = [(key[:i], key[i:]) for i in range(len(key) + 1)]
    variants = {key}
    variants.update(a + b[1:] for a, b in splits if b)
    variants.update(a + c + b[1:] for a, b in splits if b for c in alphabet)
    variants.update(a + c + b for a, b in splits for c in alphabet)
    return variants


def match_transliteration(name: str, vocabulary: Collection[str]) -> list[str]:
    """Words of ``vocabulary`` whose skeleton matches a transliteration of ``name``.

    ``vocabulary`` holds normalised Arabic words (what :func:`assistant.arabic.words`
    yields) or is a prebuilt :class:`SkeletonIndex`. Exact skeleton matches come first,
    then edit-distance-1 matches; each group sorted.

    >>> match_transliteration("Tashkent", ["طشقند", "في", "روسيا"])
    ['طشقند']
    """
    exact, near = _transliteration_matches(name, vocabulary)
    return sorted(exact) + sorted(near - exact)


def _transliteration_matches(name: str, vocabulary: Collection[str]) -> tuple[set[str], set[str]]:
    """Words matching a transliteration of ``name``: exactly, and within one edit."""
    index = vocabulary if isinstance(vocabulary, SkeletonIndex) else SkeletonIndex(vocabulary)
    exact: set[str] = set()
    near: set[str] = set()
    for candidate in transliterate(name):
        exact |= index.exact(candidate)
        for key in index.near(candidate):
            near |= index.exact(key)
    return exact, near


# --- The bridge -------------------------------------------------------------------------

MAX_TRANSLITERATED = 5  # words kept per transliterated name


def bridge_query(
    question: str,
    vocabulary: Collection[str] | None = None,
    lexicon: Lexicon | None = None,
    language: str | None = None,
) -> BridgeResult:
    """Arabic terms for an English question: lexicon phrases, then transliterated names.

    Pure-Arabic questions return an empty result (nothing to bridge). Arabic words inside
    an English question and numbers pass through unchanged. ``vocabulary`` (normalised
    corpus words or a :class:`SkeletonIndex`) enables transliteration of capitalised
    words the lexicon lacks (lowercase words are not tried: too many ordinary English
    words have the skeleton of some Arabic word, e.g. "hand" and الهند). ``language`` is
    the question's, when the caller has already detected it.

    >>> bridge_query("What did Wang Yi say about Ukraine?").matched
    [('Wang Yi', 'Wang Yi'), ('say', 'say'), ('Ukraine', 'Ukraine')]
    """
    if (language or detect_language(question)) != "en":
        return BridgeResult()
    lexicon = lexicon or load_lexicon()
    tokens = _tokens(question)
    if vocabulary is not None and not isinstance(vocabulary, SkeletonIndex):
        vocabulary = SkeletonIndex(vocabulary)
    result = BridgeResult()
    seen: set[str] = set()
    i = 0
    while i < len(tokens):
        i = _bridge_at(tokens, i, lexicon, vocabulary, result, seen)
    return result


def _bridge_at(
    tokens: list[_Token],
    i: int,
    lexicon: Lexicon,
    vocabulary: SkeletonIndex | None,
    result: BridgeResult,
    seen: set[str],
) -> int:
    """Bridge the phrase starting at ``tokens[i]`` into ``result``; return the next index."""
    token = tokens[i]
    if token.arabic:
        _add(result, seen, token.text, "arabic", [token.lower])
        return i + 1
    hit = _longest_match(tokens, i, lexicon)
    if hit is not None:
        entry, size = hit
        phrase = " ".join(t.text for t in tokens[i : i + size])
        _add(result, seen, phrase, entry.headword, list(entry.arabic))
        return i + size
    if token.lower.isdigit():
        _add(result, seen, token.text, "number", [token.lower])
    elif token.lower not in STOPWORDS:
        country = english_country(token.text)
        if country is not None:  # any country, by CLDR's names: "Algeria", "Kuwaiti"
            _add(result, seen, token.text, COUNTRY, list(arabic_forms(country)))
            return i + 1
        found: list[str] = []
        if vocabulary is not None and token.text[0].isupper():
            exact, near = _transliteration_matches(token.text, vocabulary)
            found = sorted(exact or near)[:MAX_TRANSLITERATED]  # fuzzy only as a fallback
        if found:
            _add(result, seen, token.text, "transliteration", found)
        else:
            result.unmatched.append(token.text)
    return i + 1


def _longest_match(
    tokens: list[_Token], i: int, lexicon: Lexicon
) -> tuple[LexiconEntry, int] | None:
    """The longest lexicon phrase starting at ``tokens[i]`` and its length in tokens."""
    longest = min(lexicon.max_words, len(tokens) - i)
    for size in range(longest, 0, -1):
        window = tokens[i : i + size]
        if any(t.arabic for t in window):
            continue
        if size == 1 and not _case_allows(window[0]):
            continue
        words = tuple(t.lower for t in window)
        if size == 1 and words[0] in STOPWORDS:
            entry = lexicon.exact.get(words)  # "will" must not reach "willing" via lemma
        else:
            entry = lexicon.lookup(words)
        if entry is not None:
            return entry, size
    return None


def _case_allows(token: _Token) -> bool:
    """Ambiguous keys ("us", "may", "march") match only when written as a name."""
    cased = _CASED_KEYS.get(token.lower)
    return cased is None or token.text in (cased, cased.upper())


def _add(result: BridgeResult, seen: set[str], phrase: str, label: str, terms: list[str]) -> None:
    """Record a match and append its terms not already present (compared normalised)."""
    result.matched.append((phrase, label))
    for term in terms:
        key = normalize(term)
        if key not in seen:
            seen.add(key)
            result.arabic_terms.append(term)
