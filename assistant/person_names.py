"""Whether the person a "what did X say" question names is in the articles at all.

"What did Yasmin Khalil say about the cuts?" over articles that never name her must be
refused, not answered with somebody else's words. The question names X by two or more
words (first name and surname, with a title or not); X is in an article when those words
occur there *in order, next to each other* (at most ``MAX_GAP`` words between two of them,
for "سالم بن راشد الحارثي" asked as "Salem al-Harthi"). Each word is matched leniently:

* an English word against an Arabic word by consonant skeleton (the bridge's
  transliteration), with ع treated as a vowel ("Saadi" is الساعدي, "Zoubi" الزعبي), exact for
  short skeletons and one letter off for longer ones; a compound English word may stand for
  two Arabic words ("Abdelhakim" for عبد الحكيم);
* an Arabic word against an Arabic word after normalisation, clitics and ال set aside.

Particles that spellings keep or drop (al-, el-, bin, ben, bint, abu, umm) are not judged.
Requiring the words side by side is what makes the check worth having: each word of "Marco
Rossi" may match *some* word of the articles by skeleton, but not next to each other.

What it does not do: decide whether a role ("the Japanese importer") is in the articles;
titles are worded too freely for that (README, "Checked on the sealed sets").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from assistant.answer_checks import (
    ASKED_AUXILIARIES_EN,
    ASKED_QUESTION_AR,
    ASKED_VERBS_AR,
    ASKED_VERBS_EN,
)
from assistant.arabic import normalize, strip_clitics, words

MAX_GAP = 1  # words allowed between two words of the name in the article (a middle name)
MIN_NAME_WORDS = 2
MIN_FUZZY = 4  # skeletons at least this long may be one letter off
MIN_KEY = 1  # skeletons of one consonant ("Laila" ل) count, but only next to the other words
MIN_JOINED = 3  # two Arabic words read as one English word only when this long together
_PARTICLES_EN = frozenset({
    "al", "el", "bin", "ben", "bint", "ibn", "abu", "abou", "umm", "de", "van", "von", "abd", "abdel", "abdul",
    "abdal",
})  # fmt: skip
_PARTICLES_AR = frozenset({"بن", "بنت", "ابن", "ابو", "ام", "ال", "عبد"})


def role_stem(word: str) -> str:
    """A normalised Arabic word without clitics and final ة: وزيرة, الوزير → وزير (how a
    title is compared with :data:`ROLES_AR` and with the titles an article gives)."""
    return strip_clitics(normalize(word)).rstrip("ه")


# Words that start an Arabic title rather than a name (after clitics, without ة).
ROLES_AR = frozenset(
    role_stem(w)
    for w in words(
        "وزير رئيس متحدث ناطق مدير سفير خبير باحث أمين ممثل محافظ حاكم نائب مستشار مسؤول قائد زعيم ملك أمير "
        "سلطان شيخ رئيس عميد أستاذ مبعوث مندوب محلل مراسل صحفي كاتب مخرج ممثل طالب مزارع فلاح مواطن"
    )
)
# Words that are never part of a name ("Mona" must not be found in من).
_FUNCTION_AR = frozenset(words("من في عن الى إن أن مع ما لا هو هي قد لم لن بين منذ كما أو ثم هذا هذه التي الذي"))
_EN_SUBJECT = re.compile(
    rf"\bwhat (?:{ASKED_AUXILIARIES_EN})\s+(?P<who>.+?)\s+(?:{ASKED_VERBS_EN}|said|told)\b"
    r"|\baccording to\s+(?P<source>[^,?.;]+)",
    re.IGNORECASE,
)
_AR_SUBJECT = re.compile(
    rf"(?:^|\s)(?:{ASKED_QUESTION_AR})\s+(?:{ASKED_VERBS_AR})"
    r"\s+(?P<who>.+?)(?=\s+(?:عن|حول|بشان|في|خلال|بعد|قبل|وهي|وهو)(?:\s|$)|\s*[؟?]|$)"
)
_LATIN_TOKEN = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*")


def english_name_words(question: str, translated: set[str] | frozenset[str] | None = None) -> tuple[str, ...]:
    """The name words of the person an English "what did X say" / "according to X" question
    asks about: the last two words of the last run of capitalised words of X (first name
    and surname: particles and possessives set aside,
    leading words the lexicon translates as anything but a person, such as "Finance
    Minister", dropped; ``translated`` gives those words instead of the lexicon); () when X
    is not named by at least two words.

    >>> english_name_words("What did Finance Minister George Kazzi say?", {"finance", "minister"})
    ('George', 'Kazzi')
    >>> english_name_words("What did Kuwait University professor Mishari al-Failakawi say?")
    ('Mishari', 'Failakawi')
    >>> english_name_words("What did Morocco's king say about wind farms?")
    ()
    >>> english_name_words("What did World Health Organization officials say?")
    ()
    """
    match = _EN_SUBJECT.search(question)
    if match is None:
        return ()
    runs: list[list[str]] = [[]]
    for token in _LATIN_TOKEN.findall(match.group("who") or match.group("source") or ""):
        possessive = re.search(r"['’]s$", token) is not None
        word = re.sub(r"^(?:al|el|Al|El)[-‐]", "", re.sub(r"['’]s$", "", token))
        if word.lower() in _PARTICLES_EN:
            continue
        if word[:1].isupper() and not possessive:
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    if not runs[-1]:
        return ()  # the last name is not the subject's head ("the Red Sea festival's chief")
    run = runs[-1]
    while run and (run[0].lower() in translated if translated is not None else _title_words(run) > 0):
        run = run[1 if translated is not None else _title_words(run) :]
    return tuple(run[-MIN_NAME_WORDS:]) if len(run) >= MIN_NAME_WORDS else ()


def _title_words(run: list[str]) -> int:
    """How many words at the start of ``run`` the lexicon translates as something other
    than a person ("Finance Minister", "University"): a title before the name, not part of it."""
    from assistant.bridge import load_lexicon

    lexicon = load_lexicon()
    for size in range(len(run), 0, -1):
        entry = lexicon.lookup(tuple(w.lower() for w in run[:size]))
        if entry is not None:
            return size if entry.category != "person" else 0
    return 0


def arabic_subject_words(question: str) -> tuple[str, ...]:
    """The normalised words of X in an Arabic "ماذا قال X عن Y" question (up to عن, حول, في …).

    >>> arabic_subject_words("ماذا قالت سارة الهاشمي عن السدود؟")
    ('ساره', 'الهاشمي')
    """
    match = _AR_SUBJECT.search(normalize(question))
    return tuple(words(match.group("who"))) if match else ()


_FOLD = str.maketrans({"ع": None, "ص": "س", "ث": "س", "ز": "س", "ط": "ت", "ض": "د", "ذ": "د", "ظ": "د",
                       "ق": "ك", "غ": "ج", "ح": "ه", "خ": "ه"})  # fmt: skip
_PREFIXED = re.compile(r"^(?:Abd(?:el|ul|al|u|e)?|Ben|Bin|Ibn|Abu|Abou)[-‐]?(?=[A-Za-z]{3})", re.IGNORECASE)
MIN_JUDGED = 3  # a name of one word is judged when one of its spellings has this many consonants
MIN_PAIRED = 2  # ... a word of a longer name when it has this many
MIN_SILENT = 5  # a word this long may end in a letter French spelling does not sound (Georges جورج)


def as_written(question: str, normalised: tuple[str, ...] | list[str]) -> str:
    """The words ``normalised`` (normalised words of ``question``) as the question writes
    them, with their ة, hamzas and diacritics: what a refusal should name.

    >>> as_written("ماذا قالت سارة الهاشمي؟", ("ساره", "الهاشمي"))
    'سارة الهاشمي'
    """
    written = {normalize(w): w for w in re.findall(r"[^\s؟?،,.:؛!]+", question)}
    return " ".join(written.get(w, w) for w in normalised)


def _weak(skeleton_key: str) -> str:
    """A skeleton with ع dropped (English spellings write it as a vowel or not at all) and
    letters English spells alike folded together (س ص ث ز, ت ط, د ض ذ ظ, ك ق, ج غ, ه ح خ):
    "Osman" is عثمان, "Isabel" إيزابيل."""
    return _collapse(skeleton_key.translate(_FOLD))


def _collapse(key: str) -> str:
    return re.sub(r"(.)\1+", r"\1", key)


@lru_cache(maxsize=4096)
def english_keys(word: str) -> frozenset[str]:
    """The weak consonant skeletons an English name word may be written with in Arabic."""
    from assistant.bridge import transliterate

    return frozenset(k for k in (_weak(k) for k in transliterate(word)) if len(k) >= MIN_KEY)


@lru_cache(maxsize=65536)
def arabic_keys(word: str) -> frozenset[str]:
    """Weak skeletons of an Arabic word, with and without its clitics and, for a woman's
    nisba surname (البلوشية), without its final ة."""
    from assistant.bridge import skeleton

    forms = {word, strip_clitics(word)}
    forms |= {f[:-1] for f in forms if f.endswith("يه") and len(f) > 4}
    keys = {_weak(skeleton(f)) for f in forms}
    keys |= {k[:-1] for k in keys if k.endswith("ه") and len(k) > 2}  # عبده is "Abdo"
    return frozenset(k for k in keys if len(k) >= MIN_KEY)


def _one_off(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one substitution, insertion or deletion."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _deletions(key: str) -> set[str]:
    """``key`` and every string one letter shorter than it."""
    return {key} | {key[:i] + key[i + 1 :] for i in range(len(key))}


@lru_cache(maxsize=65536)
def english_matches(english: str, arabic: str) -> bool:
    """True when Arabic ``arabic`` (one word, or two joined) may be a spelling of ``english``.

    >>> english_matches("Saadi", "الساعدي"), english_matches("Kazzi", "قزي"), english_matches("Rossi", "قزي")
    (True, True, False)
    """
    return bool(TextNames(arabic).english((english,))) if arabic_keys(arabic) else False


def arabic_matches(asked: str, word: str) -> bool:
    """True when two normalised Arabic words are the same name (clitics and ال aside)."""
    return asked == word or strip_clitics(asked) == strip_clitics(word)


def name_tokens(text: str) -> list[str]:
    """The normalised words of ``text`` that a name can be made of: particles (بن, ابو, عبد,
    ال …) and function words (من, في …) left out, so "سالم بن راشد الحارثي" is three words."""
    return [w for w in words(text) if w not in _PARTICLES_AR and w not in _FUNCTION_AR]


def judged_words(name: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The words of an English name that a spelling check can judge, each as its possible
    spellings: with and without a prefix written apart in Arabic ("Abdelhakim" is also
    "hakim", as in عبد الحكيم; "Benyoucef" also "youcef", بن يوسف). Words of fewer than
    ``MIN_PAIRED`` consonants ("Yi", "Yee" → ه) are left out, and a name left with one word is judged only when that word has
    ``MIN_JUDGED`` consonants (alone, "Laila" → ل would match too much).

    >>> judged_words(("Hisham", "Razek")), judged_words(("Wang", "Yi")), judged_words(("Benyoucef",))
    ((('Hisham',), ('Razek',)), (), (('Benyoucef', 'youcef'),))
    """
    kept = []
    for word in name:
        silent = word[:-1] if len(word) >= MIN_SILENT and word[-1] in "stdxz" else word  # "Georges", "Laurent"
        forms = tuple(dict.fromkeys(f for f in (word, _PREFIXED.sub("", word), silent) if english_keys(f)))
        if any(len(k) >= MIN_PAIRED for f in forms for k in english_keys(f)):
            kept.append(forms)
    if len(kept) == 1 and not any(len(k) >= MIN_JUDGED for f in kept[0] for k in english_keys(f)):
        return ()
    return tuple(kept)


class TextNames:
    """The words of one article that a name can be made of, indexed by weak skeleton (and
    pairs of words written together, for "Noureddine"), so that finding where a name word
    occurs costs a few set lookups, not a comparison with every word."""

    def __init__(self, text: str) -> None:
        self.tokens = name_tokens(text)
        self.spans: dict[str, set[tuple[int, int]]] = {}
        for i, token in enumerate(self.tokens):
            for key in arabic_keys(token):
                self.spans.setdefault(key, set()).add((i, i))
            if i + 1 < len(self.tokens) and arabic_keys(token) and arabic_keys(self.tokens[i + 1]):
                for key in arabic_keys(token + self.tokens[i + 1]):
                    if len(key) >= MIN_JOINED:
                        self.spans.setdefault(key, set()).add((i, i + 1))
        self.near: dict[str, set[str]] = {}
        for key in self.spans:
            if len(key) >= MIN_FUZZY:
                for variant in _deletions(key):
                    self.near.setdefault(variant, set()).add(key)

    def english(self, forms: tuple[str, ...], min_key: int = MIN_KEY, near: bool = True) -> set[tuple[int, int]]:
        """``(first, last)`` token spans where any spelling in ``forms`` of an English name
        word occurs: same weak skeleton (of at least ``min_key`` letters), or (``near``) one
        letter off for long ones."""
        found: set[tuple[int, int]] = set()
        for form in forms:
            candidates = frozenset(k for k in english_keys(form) if len(k) >= min_key)
            for key in candidates & self.spans.keys():
                found |= self.spans[key]
            for candidate in candidates:
                if not near or len(candidate) < MIN_FUZZY:
                    continue
                for variant in _deletions(candidate):
                    for key in self.near.get(variant, ()):
                        if _one_off(key, candidate):
                            found |= self.spans[key]
        return found

    def arabic(self, asked: str) -> set[tuple[int, int]]:
        """Spans where Arabic name word ``asked`` occurs (clitics and ال aside)."""
        asked = normalize(asked)
        return {(i, i) for i, token in enumerate(self.tokens) if arabic_matches(asked, token)}


@lru_cache(maxsize=512)
def text_names(text: str) -> TextNames:
    """:class:`TextNames` of ``text``, built once per text (articles are asked about again;
    room for every article the absent-person check may read, ``MAX_ARTICLES_SCANNED``)."""
    return TextNames(text)


def name_in_text(name: tuple[str, ...], text: str, english: bool = True) -> bool:
    """True when the words of ``name`` occur in ``text`` in order, at most ``MAX_GAP`` words
    apart (English words by skeleton, see :func:`judged_words`; Arabic words as written).

    >>> name_in_text(("Salem", "Harthi"), "وقال سالم بن راشد الحارثي إن")
    True
    >>> name_in_text(("Marco", "Rossi"), "قال ماركو فيراري مدير الشركة إن الغاز الروسي")
    False
    """
    judged = judged_words(name) if english else tuple((w,) for w in name)
    if not judged:
        return True  # nothing that can be checked: not judged absent
    index = text_names(text)
    ends: set[int] | None = None  # where the words matched so far end
    alone = MIN_JUDGED if len(judged) == 1 else MIN_KEY
    if english and len(judged) == 1:  # one word alone: as written, no short skeleton ("youcef" تسف is Tesfaye)
        judged = ((judged[0][0],),)
    for forms in judged:
        # one word alone is matched exactly: one letter off, بنسبة ("by a rate") is "Benyoucef"
        spans = index.english(forms, alone, near=len(judged) > 1) if english else index.arabic(forms[0])
        if ends is not None:
            spans = {(i, last) for i, last in spans if any(0 < i - e <= MAX_GAP + 1 for e in ends)}
        if not spans:
            return False
        ends = {last for _, last in spans}
    return True


def absent_person(
    question: str, language: str, texts: Iterable[str], translated: set[str] | frozenset[str] | None = None
) -> str | None:
    """The name of the person a "what did X say" question asks about, as the question writes
    it, when none of ``texts`` (the candidate articles) names that person; else None.

    Arabic questions: X counts as a name only when it does not start with a title and at
    least two of its words occur in no text at all (a title worded otherwise than in the
    article, "الناطق باسم الوزارة", is left to :func:`absent_role`)."""
    texts = list(texts)
    if language == "en":
        name = english_name_words(question, translated)
        if not name or any(name_in_text(name, t) for t in texts):
            return None
        return " ".join(name)
    subject = tuple(w for w in arabic_subject_words(question) if w not in _PARTICLES_AR)
    if len(subject) < MIN_NAME_WORDS or role_stem(subject[0]) in ROLES_AR:
        return None  # a title is worded too freely to be judged absent (see absent_role)
    present = {w for t in texts for w in words(t)}
    bare = {strip_clitics(w) for w in present}
    unseen = [w for w in subject if w not in present and strip_clitics(w) not in bare]
    return as_written(question, subject) if len(unseen) >= MIN_NAME_WORDS else None


def asked_name(question: str, language: str) -> tuple[str, ...]:
    """The words by which a "what did X say" question names X, when it names X by at least
    two words: the English name words (:func:`english_name_words`), or an Arabic subject of
    exactly two words, particles aside, the first not a title ("ماذا قالت سارة الهاشمي"); ()
    else: Arabic has no capitals to tell a name from a title ("وزير الطاقة الجزائري").

    >>> asked_name("ماذا قال هشام عبد الرازق عن النهب؟", "ar"), asked_name("ماذا قال الوزير الإثيوبي؟", "ar")
    (('هشام', 'الرازق'), ())
    """
    if language == "en":
        return english_name_words(question)
    subject = [w for w in arabic_subject_words(question) if w not in _PARTICLES_AR and len(w) > 1]
    if len(subject) != MIN_NAME_WORDS or role_stem(subject[0]) in ROLES_AR:
        return ()  # a title ("وزير الخارجية الصيني", "الوزير الإثيوبي"), or a title and a name
    return tuple(subject)


def asked_role(question: str, language: str) -> tuple[str, frozenset[str]] | None:
    """The title a "what did X say" question gives X, when X is named by a title: the words
    as written and the stems of the title noun ("ماذا قال وزير الطاقة …" → وزير; "What did the
    Algerian energy minister say" → the lexicon's forms of "minister"); None otherwise.

    >>> asked_role("ماذا قال وزير الطاقة الجزائري عن العقد؟", "ar")
    ('وزير الطاقة الجزائري', frozenset({'وزير'}))
    """
    if language != "en":
        subject = [w for w in arabic_subject_words(question) if w not in _PARTICLES_AR]
        if subject and role_stem(subject[0]) in ROLES_AR:
            return as_written(question, subject), frozenset({role_stem(subject[0])})
        return None
    match = _EN_SUBJECT.search(question)
    who = (match.group("who") or "") if match else ""
    from assistant.bridge import load_lexicon

    for word in _LATIN_TOKEN.findall(who):
        entry = load_lexicon().lookup((word.lower(),))
        stems = frozenset(role_stem(a) for a in entry.arabic if " " not in a) if entry else frozenset()
        if stems & ROLES_AR:
            return who.strip(), stems
    return None


def absent_role(question: str, language: str, texts: Iterable[str]) -> str | None:
    """The title of X, as the question writes it, when a "what did X say" question names X
    by a title whose noun ("وزير", "minister") none of ``texts`` contains in any form: no
    article mentions anyone holding it. None otherwise (including a title the lexicon
    cannot translate)."""
    role = asked_role(question, language)
    if role is None:
        return None
    written, stems = role
    present = {role_stem(w) for text in texts for w in words(text)}
    return None if stems & present else written
