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
        "أشاد", "دعا", "قوله", "حديثه", "استكمل", "واستكمل", "شكر", "صرح", "أشار",
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


def _mentions(speaker: Speaker, norm: str) -> list[int]:
    """Positions in normalised ``norm`` where ``speaker`` is named (English or Arabic)."""
    spots = [m.start() for n in speaker.english for m in re.finditer(rf"\b{re.escape(n)}\b", norm)]
    return spots + [m.start() for n in speaker.arabic if len(n) > 2 for m in re.finditer(re.escape(normalize(n)), norm)]


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
    return [s.key for s in SPEAKERS if any(normalize(n) in norm for n in s.arabic if len(n) > 3)]


def mentions(text: str, speaker: Speaker, article_names: list[str]) -> bool:
    """True when ``text`` names ``speaker`` or uses their title in an article naming them."""
    norm = normalize(text)
    if any(normalize(n) in norm for n in speaker.arabic if len(n) > 2):
        return True
    return speaker.key in article_names and any(normalize(t) in norm for t in speaker.titles)


def speaker_score(sentence: str, speaker: Speaker, article_names: list[str]) -> float:
    """How clearly ``sentence`` reports ``speaker``'s words: 1 (name + speech verb),
    0.7 (title + speech verb in an article naming the speaker), 0.3 (named only), 0."""
    norm = normalize(sentence)
    named = any(normalize(n) in norm for n in speaker.arabic if len(n) > 2)
    titled = speaker.key in article_names and any(normalize(t) in norm for t in speaker.titles)
    verb = bool(_SPEECH_VERB_RE.search(norm)) if named or titled else False
    if named and verb:
        return 1.0
    if titled and verb:
        return 0.7
    return 0.3 if named else 0.0
