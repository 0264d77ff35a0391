"""Whether the chosen quotes answer the *kind* of question asked, not only its words.

Word overlap lets a sentence on the right subject stand for an answer it does not give: "How
much did the railway cost?" answered by the sentence giving its length, "When will passenger
trains run?" by "the line will open to passengers later", "What did the minister say about
fish prices?" by the minister speaking about jobs. Checks over the question's form, each a
mechanism (no word list keyed to an article):

- :func:`wanted_value` / :func:`states_value`: a question asking for a value (a sum of money,
  a count or amount, a date) is answered only when the best quote states a value of that type
  (a currency, a number, a time expression);
- :func:`says_about`: for "what did X say about Y", a quote giving someone's words (or the
  sentence next to it) must hold a word of Y, when Y has words the analysis can check (an
  English Y the bridge could not translate is left to the model);
- :func:`quotes_speech`: for "what did X say", some quote must give someone's words (the
  answerer first falls back to the words spoken in the same passages);
- :func:`spoken_by_asked`: for "what did X say" with an X the speaker registry does not know,
  X must be in the attribution of such a quote ("وقال X إن …"), not only in what is said.

This module does not retrieve, score or render: :func:`assistant.extractive.extractive_answer`
refuses when a check fails.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.arabic import normalize

if TYPE_CHECKING:
    from assistant.extractive import Sentence
    from assistant.retrieval import QueryAnalysis

_MONEY_Q = re.compile(
    r"\b(?:cost|costs|price|prices|priced|pay|paid|spend|spent|worth|fee|fees|charge|budget|fund|funding|invest\w*)\b"
    r"|كلف|تكلف|سعر|اسعار|ثمن|قيمه|ميزانيه|تمويل|استثمار",
    re.IGNORECASE,
)
_AMOUNT_Q = re.compile(
    r"\bhow (?:much|many|long|far|big|large|often)\b|\bwhat (?:percentage|proportion|share|number|amount)\b"
    r"|\bwhat (?:is|was|were|will be) the (?:price|cost|value|budget|fee)\b"
    r"|(?:^|\s)(?:كم|ما (?:نسبه|عدد|حجم|قيمه|كلفه|تكلفه|سعر|ثمن|ميزانيه))(?:\s|$)",
    re.IGNORECASE,
)
_DATE_Q = re.compile(
    r"^\W*(?:and\s+)?when\b|\b(?:what|which) (?:year|date|day|month)\b|(?:^|\s)متي(?:\s|$)"
    r"|(?:^|\s)اي (?:عام|سنه|يوم|شهر|تاريخ)(?:\s|$)",
    re.IGNORECASE,
)
_CURRENCY = re.compile(
    r"[$€£¥]|دولار|يورو|ريال|دينار|درهم|جنيه|ليره|فرنك|روبل|يوان|روبيه|مجان", re.IGNORECASE
)
_PREFIX = r"(?:^|(?<=[\s\W]))(?:[وبلفك])?(?:ال)?"
_SUFFIX = r"(?:ه|ين|ون|ات|ا)?(?=$|[\s\W])"


def _words(*stems: str) -> str:
    """A regex matching any of ``stems`` as a whole normalised Arabic word, after optional
    proclitics and ال, before an optional ending (ة ين ون ات ا)."""
    return _PREFIX + "(?:" + "|".join(stems) + ")" + _SUFFIX


_NUMBER = re.compile(
    r"\d|[٠-٩]|"
    + _words(
        "واحد", "اثن", "اثنت", "اثنان", "اثنتان", "ثلاث", "اربع", "خمس", "ست", "سبع", "ثمان", "ثماني", "تسع",
        "عشر", "عشرات", "ميه", "مايه", "ميات", "الف", "الاف", "مليون", "ملايين", "مليار", "مليارات",
        "نصف", "ثلث", "ربع", "ضعف", "اضعاف",
    )
)  # fmt: skip
_TIME = re.compile(
    r"\b\d{4}\b|[٠-٩]{4}|"
    + _words(
        "يناير", "فبراير", "مارس", "ابريل", "مايو", "يونيو", "يوليو", "اغسطس", "سبتمبر", "اكتوبر",
        "نوفمبر", "ديسمبر", "كانون", "شباط", "اذار", "نيسان", "ايار", "حزيران", "تموز", "اب", "ايلول",
        "تشرين", "احد", "اثنين", "ثلاثاء", "اربعاء", "خميس", "جمعه", "سبت", "امس", "يوم", "ايام", "غد",
        "غدا", "ليله", "مقبل", "قادم", "ماضي", "جاري", "منذ", "بحلول", "ربيع", "صيف", "خريف", "شتاء",
        "ساع", "دقيق", "دقايق", "اسبوع", "اسابيع", "شهر", "اشهر", "شهور", "عام", "اعوام", "سن", "سنوات",
    )
)  # fmt: skip
_ABOUT_EN = re.compile(
    r"\b(?:say|said|says|think|thinks|tell|told|state|stated|announce|announced|warn|warned|claim|claimed)\b"
    r"[^?]*?\b(?:about|on|regarding|concerning)\s+(\w.*)",
    re.IGNORECASE,
)
_ABOUT_AR = re.compile(r"(?:قال|يقول|صرح|اكد|ذكر|اعلن|راي|موقف)\S*\s+.*?(?:^|\s)(?:عن|حول|بشان|بخصوص|ازاء|من)\s+(\w.*)")
_WHAT_SAID = re.compile(
    r"\bwhat (?:did|does|do|has|have|had|will|would)\b[^?]*?\b(?:say|tell|warn|stress|state|announce|think|"
    r"claim|promise|pledge)\b|(?:^|\s)(?:ماذا|بماذا|ما الذي|بم)\s+(?:\S+\s+)?"
    r"(?:قال|قالت|يقول|تقول|صرح|صرحت|اكد|اكدت|حذر|حذرت|اعلن|اعلنت|ذكر|ذكرت)(?:\s|$)",
    re.IGNORECASE,
)
_SPEECH = re.compile(
    r"[\"«»“”]|"
    + _words(
        "قال", "قالت", "يقول", "تقول", "اكد", "اكدت", "يوكد", "توكد", "مضيف", "مويد", "موكد", "اضاف", "اضافت",
        "تابع", "تابعت", "شدد", "شددت", "اوضح", "اوضحت", "موضح", "وصف", "وصفت", "اعتبر", "اعتبرت", "اعرب",
        "اعربت", "اعلن", "اعلنت", "كشف", "كشفت", "تعهد", "اشاد", "دعا", "دعت", "داعي", "شكر", "صرح",
        "صرحت", "اشار", "اشارت", "مشير", "حذر", "حذرت", "يحذر", "محذر", "ذكر", "ذكرت", "يري", "تري",
        "لفت", "نفي", "نفت", "طالب", "طالبت", "قوله", "قولها", "حديثه", "حديثها", "بحسب", "حسب", "وفق",
    )
)  # fmt: skip
VALUE_PATTERNS = {"money": _CURRENCY, "number": _NUMBER, "time": _TIME}


def wanted_value(question: str) -> str | None:
    """The type of value the question asks for: ``"money"``, ``"number"``, ``"time"`` or None.

    >>> wanted_value("How much did the railway cost?"), wanted_value("How many jobs?")
    ('money', 'number')
    >>> wanted_value("When will trains run?"), wanted_value("What did he say when he came?")
    ('time', None)
    """
    text = normalize(question)
    if _DATE_Q.search(text):
        return "time"
    if _AMOUNT_Q.search(text):
        return "money" if _MONEY_Q.search(text) else "number"
    return None


def states_value(kind: str, text: str) -> bool:
    """True when ``text`` states a value of type ``kind`` (a currency, a number, a time).

    >>> states_value("money", "بكلفة 3.2 مليارات دولار"), states_value("money", "على مسافة 950 كيلومترا")
    (True, False)
    >>> states_value("time", "سيفتح لاحقا أمام المسافرين"), states_value("time", "في يونيو المقبل")
    (False, True)
    """
    return VALUE_PATTERNS[kind].search(normalize(text)) is not None


def about_clause(question: str) -> str:
    """The "Y" of "what did X say about Y" (before any setting clause), or "".

    >>> about_clause("What did the minister say about fish prices during the visit?")
    'fish prices '
    >>> about_clause("ماذا قال الوزير عن أسعار السمك؟"), about_clause("How much did it cost?")
    ('اسعار السمك؟', '')
    """
    from assistant.extractive import _SETTING_RE

    match = _ABOUT_EN.search(question) or _ABOUT_AR.search(normalize(question))
    if match is None:
        return ""
    clause = match.group(1)
    setting = _SETTING_RE.search(clause)
    return clause[: setting.start()] if setting else clause


def about_slots(analysis: QueryAnalysis) -> set[str]:
    """The topic slots (``t0`` …) that the "about Y" clause of a statement question fills
    (empty when it is not one, or when no word of Y is one the analysis can check)."""
    if not analysis.wants_statement or not analysis.slots:
        return set()
    clause = about_clause(analysis.question)
    if not clause:
        return set()
    if analysis.language == "en":
        from assistant.bridge import bridge_query

        clause = bridge_query(clause, language="en").text
    from assistant.extractive import topic_slots

    return set(topic_slots(analysis, clause))


def neighbourhood(sentence: Sentence) -> str:
    """``sentence`` with the sentences right before and after it in its passage."""
    from assistant.extractive import passage_sentences

    sentences = passage_sentences(sentence.chunk)
    spans = [span.start for span, _ in sentences]
    if sentence.span.start not in spans:
        return sentence.text
    i = spans.index(sentence.span.start)
    return " ".join(text for _, text in sentences[max(0, i - 1) : i + 2])


def says_about(analysis: QueryAnalysis, chosen: list[Sentence]) -> bool:
    """True unless the question asks what someone said about Y and no chosen quote, nor a
    sentence next to one, holds a word of Y; for "what did X say about Y", the quote must
    itself give someone's words (Y in a narrative sentence is not what X said about it)."""
    wanted = about_slots(analysis)
    if not wanted:
        return True
    from assistant.extractive import topic_slots

    speech = asks_what_was_said(analysis.question)
    return any(
        wanted & topic_slots(analysis, neighbourhood(s)) for s in chosen if not speech or reports_words(s)
    )


def answers_kind(analysis: QueryAnalysis, chosen: list[Sentence]) -> bool:
    """True when the chosen quotes can answer the question's kind (see module doc): the
    best quote states the value asked for, and a statement's topic is in the quotes."""
    if not chosen:
        return False
    kind = wanted_value(analysis.question)
    if kind is not None and not states_value(kind, chosen[0].text):
        return False
    return says_about(analysis, chosen) and quotes_speech(analysis, chosen) and spoken_by_asked(analysis, chosen)


def asks_what_was_said(question: str) -> bool:
    """True for "what did X say / warn / announce …" and "ماذا قال …".

    >>> asks_what_was_said("What did Turkey say about the dam?"), asks_what_was_said("ماذا قالت الوزيرة؟")
    (True, True)
    >>> asks_what_was_said("What did the ministry announce about fees?"), asks_what_was_said("How much?")
    (True, False)
    """
    return _WHAT_SAID.search(normalize(question)) is not None


def reports_words(sentence: Sentence) -> bool:
    """True when ``sentence`` gives someone's words: a speaker the attribution knows, a
    speech verb (said, warned, added, according to …) or a quotation mark."""
    return sentence.speaker is not None or _SPEECH.search(normalize(sentence.text)) is not None


def quotes_speech(analysis: QueryAnalysis, chosen: list[Sentence]) -> bool:
    """True unless the question asks what someone said and no chosen quote gives anyone's
    words (a narrative sentence on the topic does not say what anyone said)."""
    return not asks_what_was_said(analysis.question) or any(reports_words(s) for s in chosen)


_WHO_EN = re.compile(
    r"\bwhat (?:did|does|do|has|have|had|will|would)\s+(.+?)\s+(?:say|tell|warn|stress|state|announce|think|"
    r"claim|promise|pledge)\b",
    re.IGNORECASE,
)
_WHO_AR = re.compile(
    r"(?:^|\s)(?:ماذا|بماذا|ما الذي|بم)\s+(?:قال|قالت|يقول|تقول|صرح|صرحت|اكد|اكدت|حذر|حذرت|اعلن|اعلنت|ذكر|ذكرت)"
    r"\s+(.+?)(?:\s+(?:عن|حول|بشان|بخصوص|ازاء|من|في|خلال)\s|[؟?]|$)"
)
_CONTENT_START = re.compile(r"(?:^|\s)(?:ان|بان|لان|من ان)(?:\s|$)|[:\"«“]")


def speaker_clause(question: str) -> str:
    """The "X" of "what did X say …" (English, as written; Arabic, normalised), or "".

    >>> speaker_clause("What did the Japanese importer say about quality?")
    'the Japanese importer'
    >>> speaker_clause("ماذا قال رئيس الجمعية عن الاتفاق؟"), speaker_clause("How much?")
    ('رييس الجمعيه', '')
    """
    match = _WHO_EN.search(question) or _WHO_AR.search(normalize(question))
    return match.group(1) if match else ""


def attribution(text: str) -> str:
    """The part of a reported-speech sentence before what is said (before إن / أن / a colon
    or quotation mark): who speaks ("وقال وزير الخارجية الصيني"), not what about."""
    norm = normalize(text)
    start = _CONTENT_START.search(norm)
    return norm[: start.start()] if start else norm


def speaker_slots(analysis: QueryAnalysis) -> set[str]:
    """The topic slots the "X" of "what did X say" fills (empty when X is a known speaker,
    whose attribution the scoring already checks, or has no word the analysis can check)."""
    clause = speaker_clause(analysis.question)
    if not clause or analysis.speakers or names_someone(analysis.question, clause):
        return set()
    if analysis.language == "en":
        from assistant.bridge import bridge_query

        clause = bridge_query(clause, language="en").text
    from assistant.extractive import topic_slots

    return set(topic_slots(analysis, clause))


def names_someone(question: str, clause: str) -> bool:
    """True when the English ``clause`` holds a multi-word proper name of the question
    ("the World Bank"): the lexicon may translate its words one by one ("World" → عالم, not
    الدولي), so its words cannot be looked for; :func:`assistant.retrieval.absent_name_words`
    judges such names.

    >>> names_someone("What did the World Bank say?", "the World Bank")
    True
    >>> names_someone("What did the Japanese importer say?", "the Japanese importer")
    False
    """
    from assistant.retrieval import capitalised_runs

    words = set(re.findall(r"[A-Za-z]+", clause))
    return any(len(run) >= 2 and set(run) <= words for run in capitalised_runs(question))


def spoken_by_asked(analysis: QueryAnalysis, chosen: list[Sentence]) -> bool:
    """True unless "what did X say" names an X that the attribution of no chosen quote
    giving someone's words holds, nor that of the sentence before it (a continuation:
    "وأضاف أن …"): X named only in what is said, or in a narrative sentence, is not X speaking."""
    wanted = speaker_slots(analysis)
    if not wanted:
        return True
    from assistant.extractive import passage_sentences, topic_slots

    for sentence in (s for s in chosen if reports_words(s)):
        sentences = passage_sentences(sentence.chunk)
        starts = [span.start for span, _ in sentences]
        i = starts.index(sentence.span.start) if sentence.span.start in starts else 0
        heads = [attribution(sentence.text)] + ([attribution(sentences[i - 1][1])] if i else [])
        if any(wanted & topic_slots(analysis, head) for head in heads):
            return True
    return False
