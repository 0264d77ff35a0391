"""Who speaks each quote, for the English line that introduces it.

An English reader of Arabic quotes is told who is speaking (README, "English readers").
The attribution (:mod:`assistant.speakers`) knows only the people of its table; for anyone
else, "What did Leila Benali say about …?" over an article quoting «ليلى بنعلي» gave
``From "<title>"`` with no name. The question itself gives the reader's own spelling of
the person, so a quote that is that person's words is introduced with the name as the
question writes it: ``Leila Benali, in "<title>" (date)``.

A quote counts as X's words only when X is its speaker, read conservatively from the
sentence itself: X (full name or surname, :mod:`assistant.person_names`) is the subject of
its first speech verb ("وقالت بنعلي إن …", "بحسب ليلى بنعلي"), or that subject is a title
whose every word the article uses next to X's full name ("وقالت الوزيرة إن …" where the
article introduced "وزيرة الطاقة ليلى بنعلي"), or the sentence carries on the words of the
sentence before ("وأضافت أن …") and that one is X's. The article must name X in full.
Anything else (the ministry's words, a colleague's, a sentence that only mentions X)
keeps its own known speaker, or none.

X asked by a title ("What did the energy minister say …?") is introduced by that title when
the lexicon translates each of its words and the subject of the sentence's first speech
verb is a title holding them all («وقال وزير الطاقة إن …»); a title with a word the lexicon
lacks ("the irrigation minister") cannot be checked, and names no one.

What it does not do: choose or refuse quotes (only the intro line changes), or name a
speaker the question does not name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.arabic import normalize, words
from assistant.person_names import role_stem
from assistant.speakers import SPEECH_VERBS_AR, english_name

if TYPE_CHECKING:
    from assistant.extractive import Sentence
    from assistant.retrieval import QueryAnalysis

SUBJECT_CHARS = 70  # characters after a speech verb in which its subject (with a title) is written
NAME_CHARS = 60  # a name longer than this, as the question writes it, is shown as its words
_MORE_VERBS = (
    "قالت", "تقول", "اضافت", "تابعت", "اوضحت", "اكدت", "اشارت", "شددت", "حذر", "حذرت", "ذكر", "ذكرت",
    "اعلنت", "اعربت", "كشفت", "صرحت", "وصفت", "اعتبرت", "دعت", "لفت", "لفتت", "نفى", "نفت", "طالب",
    "طالبت", "بحسب", "حسب", "وفق", "وفقا", "ختم", "ختمت",
)  # fmt: skip
_VERBS = sorted({normalize(v) for v in (*SPEECH_VERBS_AR, *_MORE_VERBS)}, key=len, reverse=True)
_SPEECH_VERB = re.compile(
    r"(?:^|(?<=\s))[وف]?(?:" + "|".join(map(re.escape, _VERBS)) + r")(?=[\s:،,\"«“]|$)"
)
# The subject ends before the complementiser, a colon, a quote mark or a comma.
_SUBJECT_END = re.compile(r'(?:^|\s)(?:ان|انه|انها|بان)(?:\s|$)|[:"“«،,]')
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*")
_PARTICLES = frozenset(
    {"al", "el", "bin", "ben", "bint", "ibn", "abu", "abou", "umm", "abd", "abdel", "abdul"}
)


def intro_names(
    analysis: QueryAnalysis,
    chosen: list[Sentence],
    article_text: Callable[[str], str] | None = None,
) -> list[str | None]:
    """The English name introducing each of ``chosen``: its known speaker's English name
    (:func:`assistant.speakers.english_name`); else, for an English "what did X say"
    question, X as the question writes it when the sentence is X's words: X named by name
    (:func:`spoken_by`), or by a title every word of which the lexicon translates and the
    sentence's speaker is given (:func:`titled_by`); else None (the intro names only the
    article)."""
    name = _asked_name(analysis)
    written = written_name(analysis.question, name) if name else ""
    title = None if name else asked_title(analysis)
    texts = article_text or (lambda source: "")
    found: list[str | None] = []
    for sentence in chosen:
        if sentence.speaker is not None:
            found.append(english_name(sentence.speaker))
        elif name and spoken_by(name, sentence, texts(sentence.chunk.source)):
            found.append(written)
        elif title is not None and titled_by(title[1], sentence.text):
            found.append(title[0])
        else:
            found.append(None)
    return found


def _asked_name(analysis: QueryAnalysis) -> tuple[str, ...]:
    """The name words of X in an English "what did X say" question about someone the
    attribution does not know; () otherwise (a known speaker is introduced by the table)."""
    from assistant.answer_checks import asks_what_was_said
    from assistant.person_names import english_name_words, judged_words

    if analysis.language != "en" or analysis.speakers or not asks_what_was_said(analysis.question):
        return ()
    name = english_name_words(analysis.question)
    return name if name and judged_words(name) else ()  # "Wang Yi" alone cannot be checked


_TITLE_FILLER = frozenset({"the", "a", "an", "of", "for", "and"})


def asked_title(analysis: QueryAnalysis) -> tuple[str, list[frozenset[str]]] | None:
    """For an English "what did X say" question naming X by a title ("the energy minister"):
    the title as the question writes it, capitalised ("The energy minister"), and, for each
    of its words, the stems of the lexicon's Arabic forms; None when X is no title, or when
    a word of it is not in the lexicon ("the irrigation minister": that part of the title
    could not be checked, so no quote is said to be theirs)."""
    from assistant.answer_checks import asks_what_was_said
    from assistant.person_names import asked_role

    if analysis.language != "en" or analysis.speakers or not asks_what_was_said(analysis.question):
        return None
    role = asked_role(analysis.question, "en")
    stems = asked_title_words(role[0]) if role else None
    return (role[0][:1].upper() + role[0][1:], stems) if role and stems else None


def asked_title_words(title: str) -> list[frozenset[str]] | None:
    """The stems of the lexicon's Arabic forms of each word of an English ``title``
    (articles and possessives aside); None when the lexicon lacks one of its words.

    >>> asked_title_words("the Lebanese finance minister") is None
    True
    """
    from assistant.bridge import load_lexicon

    found = []
    for token in _LATIN_WORD.findall(title):
        word = re.sub(r"['’]s$", "", token).lower()
        if word in _TITLE_FILLER:
            continue
        entry = load_lexicon().lookup((word,))
        if entry is None:
            return None
        found.append(frozenset(role_stem(words(form)[0]) for form in entry.arabic if words(form)))
    return found or None


def titled_by(title_words: list[frozenset[str]], text: str) -> bool:
    """True when the subject of ``text``'s first speech verb starts with a title noun and
    holds every word of the asked title (``title_words``, by stem; a nisba counts for its
    place: المصري for مصر): "وقال وزير الطاقة إن …" is the energy minister's words."""
    from assistant.person_names import ROLES_AR

    subject = first_subject(text)
    stems = [role_stem(w) for w in words(subject or "")]
    if not stems or stems[0] not in ROLES_AR:
        return False
    return all(
        any(_stem_matches(asked, said) for asked in forms for said in stems)
        for forms in title_words
    )


def _stem_matches(asked: str, said: str) -> bool:
    """True when ``said`` is ``asked`` or its nisba (مصر → مصري, مصريه)."""
    return said == asked or (len(asked) > 2 and said in {asked + "ي", asked + "يه"})


def written_name(question: str, name: tuple[str, ...]) -> str:
    """``name`` as ``question`` writes it, with the particles and first names that go with it.

    >>> written_name("What did airline boss Salem bin Rashid Al Harthi say?", ("Rashid", "Harthi"))
    'Salem bin Rashid Al Harthi'
    >>> written_name("What did Finance Minister Georges Kazzi say?", ("Georges", "Kazzi"))
    'Georges Kazzi'
    """
    tokens = list(_LATIN_WORD.finditer(question))
    ends = [
        i
        for i, t in enumerate(tokens)
        if re.sub(r"^(?:al|el)[-‐]", "", t.group(), flags=re.I) == name[-1]
    ]
    starts = [i for i, t in enumerate(tokens) if t.group() == name[0] and ends and i <= ends[-1]]
    if not ends or not starts:
        return " ".join(name)
    first = starts[-1]
    while first > 0 and _joins(tokens[first - 1].group(), tokens[first].group()):
        first -= 1
    text = question[tokens[first].start() : tokens[ends[-1]].end()]
    return text if len(text) <= NAME_CHARS else " ".join(name)


def _joins(before: str, word: str) -> bool:
    """True when ``before`` belongs to the name that ``word`` starts: a particle (bin, Abu,
    Abdel), or a capitalised first name before a particle ("Salem" of "Salem bin Rashid")."""
    return before.lower() in _PARTICLES or (before[:1].isupper() and word.lower() in _PARTICLES)


def spoken_by(name: tuple[str, ...], sentence: Sentence, article: str) -> bool:
    """True when ``sentence`` is the words of the person ``name`` (English name words): the
    article (``article``, its whole text; the sentence's passage when empty) names them in
    full, and they are the subject of the sentence's first speech verb, or of the nearest
    earlier sentence of the passage that this one continues ("وأضاف أن …")."""
    from assistant.answer_checks import continues_speech
    from assistant.extractive import passage_sentences
    from assistant.person_names import name_in_text

    if not name_in_text(name, article or sentence.chunk.text):
        return False
    spans = passage_sentences(sentence.chunk)
    titles = _title_words(name, [text for _, text in spans])
    subject = first_subject(sentence.text)
    if subject is not None:
        return _is(name, subject, titles)
    earlier = [text for span, text in spans if span.end <= sentence.span.start]
    current = sentence.text
    while earlier and continues_speech(current):
        current = earlier.pop()
        subject = first_subject(current)
        if subject is not None:
            return _is(name, subject, titles)
    return False


def first_subject(text: str) -> str | None:
    """The subject of the first speech verb of ``text`` that writes one (normalised): the
    words after it, up to the complementiser, a colon, a quote mark or a comma; None when no
    speech verb writes a subject ("وأضاف أن …").

    >>> first_subject("وقالت وزيرة الطاقة ليلى بنعلي إن الإنتاج سيرتفع.")
    'وزيره الطاقه ليلي بنعلي'
    >>> first_subject("وأضافت أن الإنتاج سيرتفع.") is None
    True
    """
    norm = normalize(text)
    for verb in _SPEECH_VERB.finditer(norm):
        window = _SUBJECT_END.split(norm[verb.end() : verb.end() + SUBJECT_CHARS], maxsplit=1)[
            0
        ].strip()
        if window:
            return window
    return None


def _is(name: tuple[str, ...], subject: str, titles: set[str]) -> bool:
    """True when ``subject`` (a speech verb's subject) is the person ``name``: it names them
    (in full, or by surname), or it is a title every word of which the passage writes next
    to their full name (``titles``): "الوزيره" for "وزيرة الطاقة ليلى بنعلي"."""
    from assistant.answer_checks import _names
    from assistant.person_names import ROLES_AR

    if _names(name, subject, True):
        return True
    stems = [role_stem(w) for w in words(subject)]
    return bool(stems) and stems[0] in ROLES_AR and set(stems) <= titles


def _title_words(name: tuple[str, ...], passage: list[str]) -> set[str]:
    """The words (clitics and final ة aside) of the passage's sentences that name ``name``
    in full: the title the article gives the person is among them."""
    from assistant.person_names import name_in_text

    return {
        role_stem(w)
        for text in passage
        if name_in_text(name, text)
        for w in words(text)
    }
