"""Who is speaking: named people, their titles, and the verbs that introduce their words.

Used by retrieval to prefer, for "what did X say about Y?", the passages where X (or
X's title, in an article that names X) is the subject of a speech verb, and by the
extractive answerer to pick the sentences X actually said.

The table is small and explicit on purpose: it covers the people of the bundled
articles and the major figures of this beat; extend ``SPEAKERS`` for other corpora.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.arabic import detect_language, normalize


@dataclass(frozen=True)
class Speaker:
    """A person: English and Arabic name forms, and titles that stand for them."""

    key: str
    english: tuple[str, ...]
    arabic: tuple[str, ...]
    titles: tuple[str, ...] = ()


SPEAKERS: tuple[Speaker, ...] = (
    Speaker("wang_yi", ("wang yi", "wang"), ("وانغ يي", "وانج يي", "وانغ", "وانج"),
            ("وزير الخارجية الصيني", "الوزير الصيني", "وزير خارجية الصين")),
    Speaker("lavrov", ("lavrov", "sergei lavrov", "sergey lavrov"), ("لافروف", "سيرغي لافروف", "سيرجي لافروف"),
            ("وزير الخارجية الروسي", "الوزير الروسي", "وزير خارجية روسيا")),
    Speaker("putin", ("putin", "vladimir putin"), ("بوتين", "فلاديمير بوتين"), ("الرئيس الروسي",)),
    Speaker("xi", ("xi jinping", "xi", "president xi"), ("شي جين بينغ", "شي جين بينج", "شي"), ("الرئيس الصيني",)),
    Speaker("qin_gang", ("qin gang", "qin"), ("تشين جانج", "تشين غانغ", "تشين"), ("وزير الخارجية الصيني",)),
    Speaker("guo_jiakun", ("guo jiakun", "guo"), ("قوه جيا كون",), ("المتحدث باسم الخارجية الصينية",)),
    Speaker("lu_shaye", ("lu shaye",), ("لو شاي",), ("المبعوث الصيني الخاص",)),
    Speaker("zardari", ("zardari", "bilawal bhutto zardari", "bhutto zardari"), ("زرداري", "بوتو زرداري"), ()),
)  # fmt: skip

SPEECH_VERBS_AR = tuple(
    normalize(v)
    for v in (
        "قال", "قالت", "يقول", "أكد", "أكدت", "أضاف", "وأضاف", "تابع", "وتابع", "شدد", "وشدد",
        "أوضح", "وأوضح", "وصف", "ووصف", "اعتبر", "واعتبر", "أعرب", "أعلن", "كشف", "تعهد",
        "أشاد", "دعا", "قوله", "حديثه", "استكمل", "واستكمل", "شكر", "صرح", "أشار", "فقال",
    )
)  # fmt: skip
# One alternation, compiled once: retrieval scores every sentence of every candidate with it.
_SPEECH_VERB_RE = re.compile(
    r"(^|\s)(?:" + "|".join(map(re.escape, SPEECH_VERBS_AR)) + r")(\s|$|:)"
)
SPEECH_WORDS_EN = re.compile(
    r"\b(say|said|says|saying|tell|told|state|stated|stress|stressed|claim|claimed|describe|described|"
    r"called|view|views|position|stance|think|thinks|according|remarks?|comment\w*|pledge\w*|"
    r"promise\w*|thank\w*|express\w*|warn\w*)\b",
    re.IGNORECASE,
)
SPEECH_WORDS_AR = re.compile(r"(قال|يقول|صرح|اكد|موقف|راي|تصريح|وصف|اعتبر|شكر|تعهد|اعرب|كشف|دعا)")


@lru_cache(maxsize=1024)
def _form(text: str) -> str:
    """A name or title form, normalised once (they are few; sentences are many)."""
    return normalize(text)


def _mentions(speaker: Speaker, norm: str) -> list[int]:
    """Positions in normalised ``norm`` where ``speaker`` is named (English or Arabic)."""
    spots = [m.start() for n in speaker.english for m in re.finditer(rf"\b{re.escape(n)}\b", norm)]
    return spots + [m.start() for n in speaker.arabic if len(n) > 2 for m in re.finditer(re.escape(_form(n)), norm)]


def speakers_in_question(question: str, language: str | None = None) -> list[Speaker]:
    """Speakers named in ``question``; the one asked about comes first: the subject of the
    speech word, which precedes it in English ("What did Wang Yi tell Lavrov") and follows
    it in Arabic ("ماذا قال لافروف … وانغ يي"); otherwise the first named. ``language`` is
    the question's, when the caller has already detected it.

    >>> [s.key for s in speakers_in_question("In a call with Lavrov, what did Wang Yi tell him?")]
    ['wang_yi', 'lavrov']
    >>> [s.key for s in speakers_in_question("ماذا قال لافروف خلال لقائه وانغ يي؟")]
    ['lavrov', 'wang_yi']
    """
    norm = normalize(question)
    speech = SPEECH_WORDS_EN.search(norm) or SPEECH_WORDS_AR.search(norm)
    english = (language or detect_language(question)) == "en"
    found = []
    for i, speaker in enumerate(SPEAKERS):
        spots = _mentions(speaker, norm)
        if not spots:
            continue
        rank = min(spots)
        if speech:
            at = speech.start()
            subject = [at - p for p in spots if p < at] if english else [p - at for p in spots if p > at]
            rank = min(subject) if subject else len(norm) + min(spots)
        found.append((rank, i, speaker))
    return [item[-1] for item in sorted(found, key=lambda item: item[:2])]


def asks_for_statement(question: str) -> bool:
    """True when the question asks what someone said, stated, or thinks."""
    return bool(SPEECH_WORDS_EN.search(question) or SPEECH_WORDS_AR.search(normalize(question)))


def names_in_text(text: str) -> list[str]:
    """Keys of the speakers whose Arabic names occur in ``text`` (stored per article)."""
    norm = normalize(text)
    return [s.key for s in SPEAKERS if any(_form(n) in norm for n in s.arabic if len(n) > 3)]


def mentions(text: str, speaker: Speaker, article_names: list[str]) -> bool:
    """True when ``text`` names ``speaker`` or uses their title in an article naming them."""
    norm = normalize(text)
    if any(_form(n) in norm for n in speaker.arabic if len(n) > 2):
        return True
    return speaker.key in article_names and any(_form(t) in norm for t in speaker.titles)


# A speech verb whose subject is not written ("وأضاف: ...", "وتابع قائلا", "وأضاف أن ...")
# continues the previous sentence's speaker: the word after it is one of these, or a quote
# mark or colon follows it directly.
_CONTINUATION_NEXT = frozenset({"ان", "انه", "انها", "انهم", "قائلا", "وفق", "في", "خلال", "ايضا", "بان"})
SUBJECT_WINDOW = 40  # characters after a speech verb in which its subject is named
CONTINUES = "continues"  # attribution of a sentence that carries on the previous speaker
# The subject is written before these: the complementiser, a colon, a quote mark, a comma.
_SUBJECT_END_RE = re.compile(r'(?:^|\s)(?:ان|انه|انها|بان)(?:\s|$)|[:"“«،,]')


def _people_at(norm: str, article_names: list[str]) -> list[tuple[int, Speaker, float]]:
    """``(position, speaker, strength)`` of every person named in ``norm``: by name
    (strength 1) or by title in an article that names them (0.7)."""
    pattern, forms = _people_pattern(tuple(sorted(article_names)))
    spots = []
    for match in pattern.finditer(norm):
        for speaker, strength in forms[match.group(1)]:
            spots.append((match.start(), speaker, strength))
    return sorted(spots, key=lambda spot: (spot[0], -spot[2]))


@lru_cache(maxsize=256)
def _people_pattern(article_names: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, list[tuple[Speaker, float]]]]:
    """One compiled alternation of every name (and, for speakers the article names, every
    title) with what each form stands for; built once per set of article names."""
    forms: dict[str, list[tuple[Speaker, float]]] = {}
    for speaker in SPEAKERS:
        for name in speaker.arabic:
            if len(name) > 2:
                forms.setdefault(normalize(name), []).append((speaker, 1.0))
        if speaker.key in article_names:
            for title in speaker.titles:
                forms.setdefault(normalize(title), []).append((speaker, 0.7))
    alternation = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(f"(?=({alternation}))"), forms


# Sentences whose attribution is kept (a few MB): retrieval asks it of the same indexed
# sentences for every "what did X say" question, and the extractive answerer again.
CACHED_SENTENCES = 8192


def attributed_speaker(sentence: str, article_names: list[str]) -> tuple[Speaker, float] | str | None:
    """Who says ``sentence``: the person named (or titled) right after its first speech verb
    (Arabic puts the subject after the verb: "قال الوزير وانغ يي لنظيره لافروف" is Wang Yi
    speaking *to* Lavrov), else right before it; :data:`CONTINUES` for a verb with no
    written subject ("وأضاف: ..."); None when no person is the subject of a speech verb.

    >>> attributed_speaker("قال الوزير وانغ يي لنظيره الروسي سيرجي لافروف إن التعاون مهم.", [])[0].key
    'wang_yi'
    >>> attributed_speaker('وأضاف: "نحن واثقون".', [])
    'continues'
    """
    return _attribution(sentence, tuple(article_names))


@lru_cache(maxsize=CACHED_SENTENCES)
def _attribution(sentence: str, article_names: tuple[str, ...]) -> tuple[Speaker, float] | str | None:
    """:func:`attributed_speaker`, computed once per sentence and article names (a pure
    function of the two: nothing about the question)."""
    norm = normalize(sentence)
    people = _people_at(norm, list(article_names))
    for verb in _SPEECH_VERB_RE.finditer(norm):
        start, end = verb.end(1), verb.end()
        window = _SUBJECT_END_RE.split(norm[end : end + SUBJECT_WINDOW], maxsplit=1)[0]
        after = [p for p in people if end <= p[0] < end + len(window)]
        if after:
            return after[0][1], max(p[2] for p in after if p[1] == after[0][1])
        before = [p for p in people if start - SUBJECT_WINDOW <= p[0] < start]
        if before:
            return before[-1][1], before[-1][2]
        next_word = window.split(maxsplit=1)[0] if window.split() else ""
        if len(norm[:start].split()) <= 1 and (
            verb.group(2) == ":" or not window.strip() or next_word in _CONTINUATION_NEXT
        ):
            return CONTINUES
    return None


def reports_speech(sentence: str) -> bool:
    """True when ``sentence`` reports what someone said (it has an Arabic speech verb).

    >>> reports_speech("أما الوزير فقال إن بلاده تؤيد الآلية."), reports_speech("انتهت الجولة أمس.")
    (True, False)
    """
    return _SPEECH_VERB_RE.search(normalize(sentence)) is not None


def speaker_score(
    sentence: str, speaker: Speaker, article_names: list[str], previous: Speaker | None = None
) -> float:
    """How clearly ``sentence`` reports ``speaker``'s own words: 1 (named subject of a speech
    verb), 0.7 (subject by title in an article naming them, or a sentence continuing
    ``previous``, the speaker of the sentence before), 0.3 (named, not speaking), 0."""
    attribution = attributed_speaker(sentence, article_names)
    if attribution == CONTINUES:
        if previous is not None and previous.key == speaker.key:
            return 0.7
    elif attribution is not None and not isinstance(attribution, str) and attribution[0].key == speaker.key:
        return attribution[1]
    norm = _normalized_sentence(sentence)
    return 0.3 if any(_form(n) in norm for n in speaker.arabic if len(n) > 2) else 0.0


@lru_cache(maxsize=CACHED_SENTENCES)
def _normalized_sentence(sentence: str) -> str:
    """``normalize(sentence)``, kept for the indexed sentences speaker scoring reads again."""
    return normalize(sentence)


def sentence_speakers(sentences: list[str], article_names: list[str]) -> list[Speaker | None]:
    """The speaker of each of consecutive ``sentences`` (None: nobody), continuations
    inheriting the speaker of the sentence before."""
    found: list[Speaker | None] = []
    for sentence in sentences:
        attribution = attributed_speaker(sentence, article_names)
        if attribution == CONTINUES:
            found.append(found[-1] if found else None)
        elif attribution is None or isinstance(attribution, str):
            found.append(None)
        else:
            found.append(attribution[0])
    return found


@lru_cache(maxsize=256)
def english_name(speaker: Speaker) -> str:
    """The speaker's English name as the lexicon's headword spells it ("Sergey Lavrov"):
    the longest headword among the lexicon's people whose Arabic forms include one of
    the speaker's; else the speaker's first English form, capitalised.

    >>> english_name(SPEAKERS[1]), english_name(Speaker("x", ("ali baba",), ("علي بابا",)))
    ('Sergey Lavrov', 'Ali Baba')
    """
    from assistant.bridge import load_lexicon

    forms = {normalize(a) for a in speaker.arabic}
    headwords = [
        entry.headword
        for entry in load_lexicon().entries
        if entry.category == "person" and forms & {normalize(a) for a in entry.arabic}
    ]
    return max(headwords, key=len) if headwords else speaker.english[0].title()
