"""Questions with several parts or several answers: make the quoted evidence answer each.

:func:`assistant.extractive.pick` chooses the strongest sentences for the question as a
whole; that is right for one fact in one article, and wrong for three kinds of question
that analysts ask about a set of articles:

- *several parts*, joined by "و"/"and" before a new clause ("on which day did they meet in
  India, **and on which** day in Beijing?"; "what did they say about Ukraine at the
  meeting in India **and in** the phone call?"): each part names its own setting (India,
  Beijing, the phone call) and is answered in its own article. A part is answered when a
  quoted sentence fills one of the slots only that part has.
- *a date asked for* ("متى", "when", "which day of the week"): the quote must carry the
  date expression (a weekday, a month, "أمس", a year), not merely the event.
- *several answers* ("which meetings …", "ما وكالات الأنباء …", "in these articles"):
  every article among the top passages that answers is quoted, not only the best one.

This module only adds or reorders evidence among the scored candidate sentences; it never
changes how sentences are scored. One thing it tells the abstention check: a question of
several parts answered in several articles has no single passage covering most of it
(each article covers its own part), so :func:`joint_coverage` measures two passages of
different articles together, when each answers a part the other does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.arabic import analyse, normalize
from assistant.extractive import (
    MAX_SENTENCES,
    PASSAGES_CONSIDERED,
    Sentence,
    coverage,
    filled_slots,
    local_weights,
    setting_slots,
    share,
    slot_weights,
    topic_slots,
)
from assistant.models import Retrieved
from assistant.retrieval import QUESTION_WORDS, QueryAnalysis

GATHER_SCORE = 0.4  # another article's sentence is gathered from this share of the best score
PART_SCORE = 0.3  # a part's answer (with no date asked) must score at least this share of the best
MAX_GATHERED = MAX_SENTENCES + 1  # an answer listing several articles may quote one more sentence

_AR_PART = re.compile(
    r"\s*[،,]?\s+(?=و(?:[بل]?(?:اي|كم)|في|من|بعد|قبل|اين|متي|ما|ماذا|كيف|لماذا|هل|الي|مع|عن)\s)"
)  # "وبأي نسبة", "ولأي سبب", "وكم" open a part as "وفي", "ومتى" do
_EN_PART = re.compile(
    r",?\s+and\s+(?=(?:in|at|on|where|when|which|what|who|how|after|before|during|with|about)\b)",
    re.IGNORECASE,
)
_AR_WEEKDAY_ASKED = re.compile(r"(?:^|\s)اي يوم(?:\s|$)|ايام الاسبوع")
_EN_WEEKDAY_ASKED = re.compile(r"\b(?:which|what) day\b|\bday of the week\b", re.IGNORECASE)
_AR_DATE_ASKED = re.compile(r"^\s*و?متي(?:\s|$)|(?:^|\s)اي تاريخ(?:\s|$)")
_EN_DATE_ASKED = re.compile(
    r"^\s*(?:and\s+)?when\b|\b(?:which|what) (?:date|year|month)\b", re.IGNORECASE
)
_AR_NUMBER_ASKED = re.compile(
    r"(?:^|\s)[وبل]*كم(?:\s|$)|(?:^|\s)[وبل]*(?:اي|ما) (?:نسبه|عدد)(?:\s|$)"
)
_EN_NUMBER_ASKED = re.compile(
    r"\bhow (?:many|much)\b|\b(?:what|which) (?:percentage|proportion|share|number)\b",
    re.IGNORECASE,
)

_NUMBER_RE = re.compile(
    r"\d|(?:^|\s)[وب]?(?:ال)?(?:(?:اثن|ثلاث|اربع|خمس|ست|سبع|ثماني?|تسع|عشر)(?:[هة]|ين|ان|ون|ي|ا)?"
    r"|(?:مئ|مائ)(?:[هة]|تين|تان|ات)|الفا?|الاف|مليون|ملايين|مليار|مليارات|نصف|ربع|ثلث|ضعف"
    r"|(?:يوم|شهر|ساع|سن|اسبوع|عام|مر)(?:ين|ان|تين|تان))(?=$|[\s،,.])"
)  # a quantity: digits (a year or a day of the month is a date: _NOT_QUANTITY), an Arabic
# number word, or the dual of a unit ("يومين": two days)
_WEEKDAYS = (
    r"(?:^|[\s،,(])[وب]?(?:السبت|الاحد|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه)(?=$|[\s،,.)])"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
)
_MONTHS = (
    r"(?:^|\s)[وب]?(?:يناير|فبراير|مارس|ابريل|مايو|يونيو|يوليو|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر"
    r"|شباط|اذار|نيسان|ايار|حزيران|تموز|ايلول|تشرين|كانون)(?=$|[\s،,.])"
    r"|\b(?:january|february|march|april|june|july|august|september|october|november|december)\b"
)
_WEEKDAY_RE = re.compile(_WEEKDAYS, re.IGNORECASE)
_NOT_QUANTITY = re.compile(rf"\b(?:19|20)\d\d\b|\b\d{{1,2}}(?={_MONTHS})", re.IGNORECASE)
_DATE_RE = re.compile(
    rf"{_WEEKDAYS}|{_MONTHS}|(?:^|\s)[وب]?امس(?=$|[\s،,.])|\b(?:19|20)\d\d\b", re.IGNORECASE
)
_AR_LIST_ASKED = re.compile(r"^\s*(?:ما|ماهي|ما هي|اي|ماذا)\s+(?:هي\s+)?(?:ال)?\S{2,}ات(?:\s|$)")
_EN_LIST_ASKED = re.compile(r"^\s*(?:which|what)\s+(?:of the\s+)?([a-z]{3,}s)\b", re.IGNORECASE)
_EN_NOT_PLURAL = frozenset({"does", "was", "has", "is", "this", "its", "his"})
_AR_ALL_ARTICLES = re.compile(
    r"(?:^|\s)(?:هذه|كل|جميع) ?(?:ال)?مقالات(?:\s|$|[؟?])|(?:^|\s)كلا(?:\s|$)"
)
_EN_ALL_ARTICLES = re.compile(
    r"\b(?:in|across|of) (?:these|the|all|both) articles\b|\bboth\b"
    r"|\beach\b(?!\s+(?:year|month|week|day|hour|time|season|quarter)s?\b)",
    re.IGNORECASE,
)  # "each" asks about several things, but "each year" is a rate


@dataclass(frozen=True)
class Part:
    """One part of a question: the topic slots (``t0``, ``t1`` …) only it has, the kind of
    answer it asks for (``"weekday"``, ``"date"``, ``"number"`` or ``None``), whether its
    slots are a setting its article states once (``setting``: a country, which the answering
    sentence need not repeat), and which of its slots name a country (``countries``: the
    part is answered only where that country is named)."""

    slots: frozenset[str]
    wants: str | None = None
    setting: bool = False
    countries: frozenset[str] = frozenset()


def asked_type(segment: str, language: str) -> str | None:
    """What kind of answer ``segment`` asks for: a day of the week, a date, a number
    ("how many", "كم", "بأي نسبة"), or None.

    >>> asked_type("في أي يوم التقيا في بكين", "ar"), asked_type("When did they meet?", "en")
    ('weekday', 'date')
    >>> asked_type("وبأي نسبة يحق للشركة رفع الكميات", "ar"), asked_type("How much gas?", "en")
    ('number', 'number')
    """
    text = normalize(segment)
    weekday, date = (
        (_AR_WEEKDAY_ASKED, _AR_DATE_ASKED)
        if language == "ar"
        else (_EN_WEEKDAY_ASKED, _EN_DATE_ASKED)
    )
    if weekday.search(text):
        return "weekday"
    if date.search(text):
        return "date"
    number = _AR_NUMBER_ASKED if language == "ar" else _EN_NUMBER_ASKED
    return "number" if number.search(text) else None


def carries(text: str, wants: str | None) -> bool:
    """True when ``text`` carries the kind of answer asked for (always, when none is).

    >>> carries("عقد لافروف، الخميس، اجتماعاً", "weekday"), carries("في 20 مارس الماضي", "weekday")
    (True, False)
    """
    if wants is None:
        return True
    if wants == "number":
        return _NUMBER_RE.search(_NOT_QUANTITY.sub(" ", normalize(text))) is not None
    pattern = _WEEKDAY_RE if wants == "weekday" else _DATE_RE
    return pattern.search(normalize(text)) is not None


def _segment_slots(analysis: QueryAnalysis, segment: str) -> frozenset[str]:
    """The topic slots a segment of the question fills (an English one through the bridge)."""
    if analysis.language == "en":
        from assistant.bridge import bridge_query

        segment = bridge_query(segment, language="en").text
    return topic_slots(analysis, segment)


def question_parts(analysis: QueryAnalysis) -> list[Part]:
    """The parts of the question that ask something (module doc): split at "و"/"and" before a
    new clause; each keeps the slots no other part has and the answer type it asks for. A
    part asking nothing of its own is dropped; a question of one part asking no date has none.

    "متى أجرى الوزيران الاتصال الهاتفي، وبعد أي قمة جاء؟" has two parts: the call, asking a
    date, and the summit, asking none.
    """
    question = analysis.question
    pattern = _AR_PART if analysis.language == "ar" else _EN_PART
    segments = [
        s
        for s in pattern.split(normalize(question) if analysis.language == "ar" else question)
        if s.strip()
    ]
    segments = _merge_bare(segments, analysis)
    if not segments:  # nothing but spaces or invisible marks
        return []
    own = [
        _segment_slots(analysis, _parallel_tail(s, after))
        for s, after in zip(segments, [*segments[1:], ""], strict=True)
    ]
    parts = []
    countries = frozenset().union(*country_groups(analysis).values())
    for i, segment in enumerate(segments):
        others = frozenset().union(*(o for j, o in enumerate(own) if j != i))
        slots = own[i] - others
        part = Part(slots, asked_type(segment, analysis.language), countries=slots & countries)
        if part.slots or part.wants:
            parts.append(part)
    if len(parts) == 1 and parts[0].wants is None:
        return []
    return parts


def _merge_bare(segments: list[str], analysis: QueryAnalysis) -> list[str]:
    """Segments with a topic of their own: one that fills no slot ("When" in "When and where
    will they meet?") is joined to the next, whose clause it asks about."""
    merged: list[str] = []
    pending = ""
    for segment in segments:
        if not _segment_slots(analysis, segment) and segment is not segments[-1]:
            pending += segment + " "
            continue
        merged.append(pending + segment)
        pending = ""
    return merged


def _parallel_tail(segment: str, following: str) -> str:
    """The phrase of ``segment`` that the ``following`` part parallels: when that part opens
    with a preposition ("وفي الاتصال", "and in Beijing"), the segment's own phrase from its
    last use of that preposition ("في اجتماع الهند"), which is what sets the two apart;
    otherwise the whole segment.

    >>> _parallel_tail("ما الذي ناقشاه في اجتماع الهند", "وفي الاتصال الهاتفي")
    'في اجتماع الهند'
    """
    opening = following.split()[:2]
    if not opening:
        return segment
    word = (
        opening[0][1:] if opening[0].startswith("و") else (opening[1] if len(opening) > 1 else "")
    )
    if opening[0].lower() == "and" or opening[0].startswith("و"):
        words = segment.split()
        at = [i for i, w in enumerate(words) if w.lower() == word.lower()]
        if at and at[-1] > 0:
            return " ".join(words[at[-1] :])
    return segment


def country_groups(analysis: QueryAnalysis) -> dict[str, frozenset[str]]:
    """Country code → the question's topic slots that name it ("Algeria's", "Palestinian",
    "والعراق"), by CLDR's names (:mod:`assistant.countries`)."""
    from assistant.countries import country_of_terms, english_country

    groups: dict[str, set[str]] = {}
    if analysis.language == "en":
        for i, phrase in analysis.name_slots.items():
            code = english_country(phrase)
            if code is not None:
                groups.setdefault(code, set()).add(f"t{i}")
    else:
        for i, slot in enumerate(analysis.slots):
            code = country_of_terms(slot)
            if code is not None:
                groups.setdefault(code, set()).add(f"t{i}")
    return {code: frozenset(slots) for code, slots in groups.items()}


def country_parts(
    analysis: QueryAnalysis, passages: list[tuple[str, frozenset[str]]]
) -> list[Part]:
    """For a question about two or more countries that the top ``passages`` (source, slots
    filled) treat apart, one part per country: "the pass rates in the Palestinian Tawjihi
    and the Algerian baccalaureate", "the experts quoted on Sudan's locusts and Iraq's
    water" are answered in one article each, though no "and in" joins two clauses. Countries
    that the same passages name together ("China and Russia") make no parts: one article
    answers for both. Each part asks what the whole question asks (a number, a date …)."""
    groups = list(country_groups(analysis).values())
    if len(groups) < 2:
        return []
    apart = [
        {source for source, filled in passages if slots & filled and not _names_other(filled, slots, groups)}
        for slots in groups
    ]
    if sum(bool(sources) for sources in apart) < 2 or len(set().union(*apart)) < 2:
        return []
    wants = asked_type(analysis.question, analysis.language)
    return [Part(slots, wants, setting=True, countries=slots) for slots in groups]


def all_parts(analysis: QueryAnalysis, passages: list[tuple[str, frozenset[str]]]) -> list[Part]:
    """The question's parts: its clauses (:func:`question_parts`), or, when it has fewer than
    two, its countries that the ``passages`` treat apart (:func:`country_parts`, each asking
    what the one clause asks: "ما نسبة نمو الصادرات في تشيلي وبوليفيا")."""
    parts = question_parts(analysis)
    return parts if len(parts) > 1 else country_parts(analysis, passages) or parts


def _names_other(filled: frozenset[str], slots: frozenset[str], groups: list[frozenset[str]]) -> bool:
    """True when ``filled`` names a country of ``groups`` other than the one of ``slots``."""
    return any(other & filled for other in groups if other is not slots)


def answers(part: Part, sentence: Sentence, passage: frozenset[str]) -> bool:
    """True when ``sentence`` answers ``part``: it carries the answer type asked for and fills
    one of the part's own slots; a sentence that carries the date asked for may leave the
    setting to its passage (news states it once: "met in Beijing … said on Tuesday"). A part
    naming a country is answered only where that country is named (sentence or passage)."""
    if not carries(sentence.text, part.wants):
        return False
    if part.countries and not part.countries & (sentence.filled | passage):
        return False  # "how much will Jordan's project produce" is not answered about Iraq
    if not part.slots or part.slots & sentence.filled:
        return True
    return (part.wants is not None or part.setting) and bool(part.slots & passage)


def list_head(analysis: QueryAnalysis) -> frozenset[str] | None:
    """For a question asking for several answers (module doc), the analysed terms of its
    listed thing ("meetings" in "which meetings …"; empty when the list is "in these articles" with
    no such noun); None for any other question."""
    text = normalize(analysis.question) if analysis.language == "ar" else analysis.question
    if analysis.language == "ar":
        head = _AR_LIST_ASKED.search(text)
        phrase = " ".join(text[head.end() :].split()[:1]) if head else ""
        phrase = f"{head.group().split()[-1]} {phrase}" if head else ""
        everywhere = _AR_ALL_ARTICLES.search(text)
    else:
        head = _EN_LIST_ASKED.search(text)
        head = head if head and head.group(1).lower() not in _EN_NOT_PLURAL else None
        phrase = head.group(1) if head else ""
        everywhere = _EN_ALL_ARTICLES.search(text)
    if head is None and everywhere is None:
        return None
    if not phrase:
        return frozenset()
    if analysis.language == "en":
        from assistant.bridge import bridge_query

        phrase = bridge_query(phrase, language="en").text
    return frozenset(t for t in analyse(_singular(phrase)) if len(t) > 2) - QUESTION_WORDS


def _singular(phrase: str) -> str:
    """``phrase`` with its Arabic sound feminine plurals also given in the singular, as the
    sentences that list the items name them one by one ("المنظمات" → "المنظمات المنظمة"):
    the stemmer keeps the plural's "ا" ("منظما" ≠ "منظم")."""
    extra = [w[:-2] + "ة" for w in phrase.split() if len(w) > 4 and w.endswith("ات")]
    return " ".join([phrase, *extra])


def _passages(
    analysis: QueryAnalysis, sentences: list[Sentence], names: dict[str, list[str]]
) -> dict[str, frozenset[str]]:
    """Chunk id → the slots its whole passage fills."""
    found: dict[str, frozenset[str]] = {}
    for s in sentences:
        if s.chunk.chunk_id not in found:
            found[s.chunk.chunk_id] = filled_slots(
                analysis, s.chunk.text, names.get(s.chunk.source, [])
            )
    return found


def focus_part(
    analysis: QueryAnalysis,
    weights: dict[str, float],
    sentences: list[Sentence],
    passages: dict[str, frozenset[str]],
) -> list[Part]:
    """The question's focus as a part of its own: its heaviest (rarest) topic slot outside
    its setting clause ("القضية الأفغانية" in "did they discuss the Afghan issue during the
    SCO meeting?"), which the evidence must name even when the sentences naming the two
    ministers score higher; none for a question of fewer than two topic slots. A name that
    the best sentence's passage already states is the setting, not the focus: in "what did
    the Palestinian minister say about the students in Gaza", the passage quoting the
    minister names Palestine in its lead; Gaza is what is asked."""
    weights = local_weights(weights, [s.filled for s in sentences])
    topics = {k: w for k, w in weights.items() if k.startswith("t")}
    candidates = {k: w for k, w in topics.items() if k not in setting_slots(analysis)}
    best = max(sentences, key=lambda s: s.score)
    stated = {f"t{i}" for i in analysis.name_slots} & passages[best.chunk.chunk_id]
    candidates = {k: w for k, w in candidates.items() if k not in stated}
    if len(topics) < 2 or not candidates:
        return []
    heaviest = max(candidates.values())
    top = [k for k, w in candidates.items() if w == heaviest]
    return [Part(frozenset(top))] if len(top) == 1 else []


def part_answers(
    analysis: QueryAnalysis,
    sentences: list[Sentence],
    chosen: list[Sentence],
    names: dict[str, list[str]],
    weights: dict[str, float],
) -> list[Sentence]:
    """For each part of the question no chosen sentence answers, the strongest candidate
    that does (scored by its own score plus the share of the part's slots it fills
    itself); a part asking no date needs ``PART_SCORE`` of the best score."""
    if not sentences:
        return []
    passages = _passages(analysis, sentences, names)
    sources = [(s.chunk.source, passages[s.chunk.chunk_id]) for s in sentences]
    parts = all_parts(analysis, sources) or focus_part(analysis, weights, sentences, passages)
    if not parts:
        return []
    best = max(s.score for s in sentences)
    found: list[Sentence] = []
    # One quote answers one part of a kind: "Thursday" is not also "Tuesday"; but "arrived on
    # Monday for a visit of two days" answers both "when" and "how long".
    used: set[tuple[Sentence, str | None]] = set()
    quoted = {s.chunk.source for s in chosen}
    for part in parts:
        # A part with a setting of its own (Beijing) may be answered by another article; a
        # date asked of the question's one event is looked for where that event is quoted.
        anywhere = bool(part.slots) and (len(parts) > 1 or part.wants is None)
        done = [
            s
            for s in chosen + found
            if (s, part.wants) not in used and answers(part, s, passages[s.chunk.chunk_id])
        ]
        if done:
            used.add((done[0], part.wants))
            continue
        own = {slot: weights.get(slot, 0.0) for slot in part.slots}
        fits = [
            s
            for s in sentences
            if (s, part.wants) not in used
            and (anywhere or s.chunk.source in quoted)
            and answers(part, s, passages[s.chunk.chunk_id])
            and (part.wants or s.score >= PART_SCORE * best)
        ]
        if fits:
            found.append(max(fits, key=lambda s: (s.score + share(own, s.filled), -s.rank)))
            used.add((found[-1], part.wants))
    return found


def gathered(
    analysis: QueryAnalysis, sentences: list[Sentence], chosen: list[Sentence]
) -> list[Sentence]:
    """For a question asking for several answers, the best sentence of each article not yet
    quoted that names the listed thing and something else the question asks about ("22
    countries" in a book fair article does not answer "which countries buy Tunisia's oil";
    with no listed thing: that confirms as much of the question by itself as the best quote
    does) and scores ``GATHER_SCORE`` of the best."""
    head = list_head(analysis)
    if head is None or not sentences:
        return []
    best = max(sentences, key=lambda s: s.score)
    cited = {s.chunk.source for s in chosen}
    head_slots = {f"t{i}" for i, slot in enumerate(analysis.slots) if slot & head}
    # A name says whose or where, not what: "22 countries" in an article on a book fair where
    # Tunisia is guest of honour does not answer "which countries buy Tunisia's olive oil".
    head_slots |= {f"t{i}" for i in analysis.name_slots}
    found: list[Sentence] = []
    for sentence in sorted(sentences, key=lambda s: (-s.score, s.rank, s.span.start)):
        if sentence.chunk.source in cited or sentence.score < GATHER_SCORE * best.score:
            continue
        topics = {slot for slot in sentence.filled if slot.startswith("t")}
        names = head & set(analyse(sentence.text)) if head else set()
        if (names and topics - head_slots) if head else sentence.alone >= best.alone:
            found.append(sentence)
            cited.add(sentence.chunk.source)
    return found


def complete(
    analysis: QueryAnalysis,
    sentences: list[Sentence],
    chosen: list[Sentence],
    names: dict[str, list[str]],
    weights: dict[str, float],
) -> list[Sentence]:
    """``chosen`` completed so that every part of the question is answered and every article
    answering a listing question is quoted: the parts' answers first, then the chosen
    sentences, then other articles' answers, at most ``MAX_SENTENCES`` (``MAX_GATHERED``
    when other articles are added), and never fewer than the parts need."""
    needed = part_answers(analysis, sentences, chosen, names, weights)
    ordered = list(dict.fromkeys(needed + chosen))
    extra = [s for s in gathered(analysis, sentences, ordered) if s not in ordered]
    if not needed and not extra:
        return chosen
    limit = max(len(needed), MAX_GATHERED if extra or needed else MAX_SENTENCES)
    kept = ordered[: max(limit - len(extra), len(needed) + 1)]
    return (kept + extra)[:limit]


def joint_coverage(
    analysis: QueryAnalysis,
    retrieved: list[Retrieved],
    names: dict[str, list[str]],
    model_chunk: str | None = None,
) -> float:
    """The best coverage of two top passages of *different articles* read together, for a
    question of several parts (0.0 for a question of one part): only pairs in which each
    passage answers a part better than the other does count (more of that part's own slots,
    by weight: a passage on Kuwait's gas imports that names "gas" does not answer the part
    on Algeria's gas), so two articles that merely repeat each other never add up to an answer.

    "On which day did they meet in India, and on which day in Beijing?" is covered by the
    India article's passage and the Beijing article's together, though neither covers half.
    """
    top = retrieved[:PASSAGES_CONSIDERED]
    passages = [(r.chunk.source, topic_slots(analysis, r.chunk.text)) for r in top]
    parts = [p for p in all_parts(analysis, passages) if p.slots]
    if len(parts) < 2:
        return 0.0
    weights = slot_weights(analysis)
    shares = [[_part_share(p, filled, weights) for p in parts] for _, filled in passages]
    best = 0.0
    for a, first in enumerate(top):
        for b in range(a + 1, len(top)):
            second = top[b]
            if first.chunk.source == second.chunk.source or not _complementary(shares[a], shares[b]):
                continue
            text = f"{first.chunk.text}\n{second.chunk.text}"
            sources = names.get(first.chunk.source, []) + names.get(second.chunk.source, [])
            model_read = model_chunk in (first.chunk.chunk_id, second.chunk.chunk_id)
            best = max(best, coverage(analysis, text, sources, model_read))
    return best


def _part_share(part: Part, filled: frozenset[str], weights: dict[str, float]) -> float:
    """Weighted share of ``part``'s own slots among ``filled``."""
    own = {slot: weights.get(slot, 1.0) for slot in part.slots}
    return share(own, filled)


def _complementary(first: list[float], second: list[float]) -> bool:
    """True when each of two passages answers some part better than the other (their shares
    of each part's own slots, :func:`_part_share`).

    >>> _complementary([0.8, 0.1], [0.0, 0.7]), _complementary([0.8, 0.5], [0.1, 0.4])
    (True, False)
    """
    pairs = list(zip(first, second, strict=True))
    return any(a > b for a, b in pairs) and any(b > a for a, b in pairs)

