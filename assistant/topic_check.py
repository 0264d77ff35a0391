"""Whether X's quoted words are on the topic Y that "what did X say about Y" asks about.

X may be quoted in the articles on something else only: "What did Marco Ferrari say about
Italy's imports of Russian gas?" over an article in which Ferrari speaks of the contract's
effect on Italy. The answerer then quotes X on that other subject. Lexical checks (Y's words,
through the bilingual lexicon, in X's words) were tried and withdrawn: English topics are
paraphrased and the lexicon misses the user's words (README, "Y in someone's words").

This check reads the topic with the multilingual model instead, and by rank, not by a cosine
threshold (raw cosines do not separate answerable questions here, GUIDE): the topic Y alone
is embedded as a query (one extra encode, only for these questions), the sentences of the
passages of the articles in which X speaks are ranked by their similarity to it, and X's
statements are on Y when one of them is among the ``TOP_K`` best of that ranking. When none
is, X speaks in the articles but not on Y, and the answer says so.

What it does not do: find X (:mod:`assistant.person_names`, :mod:`assistant.answer_checks`)
or choose the quotes (:mod:`assistant.extractive`); it only tells whether X's words found
there can answer "about Y".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answer_checks import ASKED_AUXILIARIES_EN, ASKED_VERBS_EN, asks_what_was_said

if TYPE_CHECKING:
    from assistant.extractive import Sentence
    from assistant.retrieval import QueryAnalysis

TopicSimilarity = Callable[[str, list[str]], list[float]]
"""Cosine of a topic's query vector (the text, embedded once) to each sentence's vector."""

TOP_K = 4  # X's words are on Y when one of X's sentences is among this many best for Y
MIN_TOPIC_CHARS = 3

_EN_TOPIC = re.compile(
    rf"\bwhat (?:{ASKED_AUXILIARIES_EN})\s+(?P<who>.+?)\s+(?:{ASKED_VERBS_EN}|said|told)\b"
    r"(?:\s+[^?]*?)?\s+(?:about|regarding|concerning)\s+(?P<topic>[^?]+)",
    re.IGNORECASE,
)
_AR_TOPIC = re.compile(r"(?:^|\s)(?:عن|حول|بشأن|بشان|بخصوص|إزاء|ازاء|تجاه)\s+(?P<topic>[^؟?]+)")
# Where the topic ends and the question's setting starts ("… during his talks in Beijing").
_SETTING = re.compile(
    r"\s(?:during|when|while|after|before|at their|on the sidelines|in (?:his|her|their) "
    r"(?:meeting|talks|call|visit|interview|phone call))\b"
    r"|\s(?:خلال|أثناء|اثناء|عندما|بعد|لدى|على هامش|في لقائه|في اتصال)(?:\s|$)",
    re.IGNORECASE,
)
_DIACRITICS = re.compile(r"[\u064B-\u0652\u0640]")

MESSAGE = {
    "en": "The articles quote {who}, but not on {topic}: what {who} is quoted as saying there is about "
    "something else.",
    "ar": "تنقل المقالات كلام {who}، لكن ليس عن {topic}: ما ورد على لسانه فيها يتناول موضوعا آخر.",
}


@dataclass(frozen=True)
class AskedTopic:
    """X and Y of "what did X say about Y", as the question writes them."""

    who: str
    topic: str


def asked_topic(question: str, language: str) -> AskedTopic | None:
    """X and Y of a "what did X say/warn/announce … about Y" question, Y without the
    question's setting clause; None for any other question, or one with no topic.

    >>> asked_topic("What did Lavrov say about security in Eurasia after his talks in Beijing?", "en")
    AskedTopic(who='Lavrov', topic='security in Eurasia')
    >>> asked_topic("ماذا قال لافروف عن العلاقات الروسية الصينية خلال لقائه وانج يي؟", "ar")
    AskedTopic(who='لافروف', topic='العلاقات الروسية الصينية')
    >>> asked_topic("What did Karim Bensouda say caused the delay?", "en") is None
    True
    """
    text = _DIACRITICS.sub("", unicodedata.normalize("NFC", question)).strip()
    if not asks_what_was_said(text):
        return None
    if language == "en":
        match = _EN_TOPIC.search(text)
        if match is None:
            return None
        who, topic = match.group("who"), match.group("topic")
    else:
        from assistant.person_names import arabic_subject_words, as_written

        match = _AR_TOPIC.search(text)
        subject = arabic_subject_words(text)
        if match is None or not subject:
            return None
        who, topic = as_written(text, subject), match.group("topic")
    setting = _SETTING.search(" " + topic)
    topic = (topic[: setting.start() - 1] if setting else topic).strip(" ،,.؟?")
    return AskedTopic(who.strip(), topic) if len(topic) >= MIN_TOPIC_CHARS else None


def statements_of(
    analysis: QueryAnalysis, chosen: list[Sentence], candidates: list[Sentence]
) -> list[Sentence]:
    """X's statements among ``candidates``: a speaker the attribution knows, by its key
    (continuations keep it); else X named by name, through the same reading of "X speaks"
    as :func:`assistant.answer_checks.words_of_asked`; else (X named by a title only) the
    chosen quotes that give someone's words, which the answerer chose as X's."""
    from assistant.answer_checks import reports_words

    if analysis.speakers and analysis.wants_statement:
        asked = analysis.speakers[0]
        return [s for s in candidates if s.speaker is not None and s.speaker.key == asked.key]
    own = named_statements(analysis.question, analysis.language, candidates)
    if own is not None:
        return own
    return [s for s in chosen if reports_words(s)]


def named_statements(
    question: str, language: str, candidates: list[Sentence]
) -> list[Sentence] | None:
    """The ``candidates`` in which X, named by name, speaks (names X, or X's title as the
    subject of a speech verb, or continues such a sentence: "وأضاف أن …"); None when the
    question does not name X by name."""
    from assistant.answer_checks import _speaks, _title_stem, continues_speech, reports_words
    from assistant.arabic import normalize
    from assistant.person_names import ROLES_AR, asked_name, name_in_text

    name = asked_name(question, language)
    if not name:
        return None
    english = language == "en"
    introduced = [s.text for s in candidates if name_in_text(name, s.text, english)]
    titles = {_title_stem(w) for text in introduced for w in normalize(text).split()} & ROLES_AR
    return [
        s
        for s in candidates
        if (reports_words(s) or continues_speech(s.text)) and _speaks(name, s, english, titles)
    ]


def topic_rank(
    topic: str, statements: list[Sentence], pool: list[Sentence], similarity: TopicSimilarity
) -> int:
    """The best rank (0 first) of one of ``statements`` among the ``pool`` sentences ranked
    by their similarity to ``topic``."""
    texts = list(dict.fromkeys(s.text for s in pool))
    scores = dict(zip(texts, similarity(topic, texts), strict=True))
    best = max(scores[s.text] for s in statements)
    return sum(score > best for score in scores.values())


def off_topic(
    analysis: QueryAnalysis,
    chosen: list[Sentence],
    candidates: list[Sentence],
    similarity: TopicSimilarity | None,
    language: str,
) -> str | None:
    """The refusal, in ``language``, when "what did X say about Y" finds X's statements in
    the passages but none of them among the ``TOP_K`` sentences of X's articles closest to Y;
    None when one is, when the question is not of that form, or without a model."""
    if similarity is None or not chosen:
        return None
    asked = asked_topic(analysis.question, analysis.language)
    if asked is None:
        return None
    statements = statements_of(analysis, chosen, candidates)
    if not statements:
        return None
    sources = {s.chunk.source for s in statements}
    pool = [s for s in candidates if s.chunk.source in sources]
    if topic_rank(asked.topic, statements, pool, similarity) < TOP_K:
        return None
    return MESSAGE.get(language, MESSAGE["en"]).format(who=asked.who, topic=asked.topic)
