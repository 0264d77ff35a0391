"""Offline follow-up questions: make "And what about the UN?" a question that stands alone.

Without an LLM to rewrite it, a follow-up is recognised by its form (it opens with "and",
"what about", "وماذا عن" …, uses a pronoun, or is three words or fewer) and completed
from the previous question:

- A follow-up with a topic of its own ("And what about the UN?") inherits the previous
  question's *subject*, the people it named and whether it asked what they said, and is
  rewritten in the follow-up's own language: after "ماذا قال لافروف عن أمن أوراسيا؟" it
  becomes "What did Sergey Lavrov say about the UN?". The previous topic (Eurasian
  security) is not carried along: the follow-up replaces it.
- A follow-up with no topic of its own ("What else did he say?", "ومتى؟") is joined with
  the whole previous question, which supplies both subject and topic.

What it does not do: resolve a pronoun to one of several people, or follow more than
one question back. With an LLM, :func:`assistant.llm_chain.rewrite_followup` does this.
"""

from __future__ import annotations

import re

from assistant.arabic import analyse, detect_language
from assistant.retrieval import ENGLISH_QUESTION_WORDS, QUESTION_WORDS
from assistant.speakers import asks_for_statement, english_name, speakers_in_question

_LEAD = re.compile(
    r"^\s*(?:and\s+)?(?:what|how)\s+about\b|^\s*(?:and|also)\b|^\s*و?ماذا\s+عن\b|^\s*و?ما\s+عن\b"
    r"|^\s*وماذا\b|^\s*وما\b|^\s*وهل\b|^\s*وعن\b|^\s*و(?=\S)",
    re.IGNORECASE,
)
_PRONOUNS = re.compile(
    r"\b(he|she|they|him|her|them|it|his|their|its)\b|(^|\s)(هو|هي|هم|عنه|عنها|عنهم|قاله|قالها)(\s|$)",
    re.IGNORECASE,
)
_FILLER_EN = {"else", "more", "then", "that", "this", "there", "too", "as", "well", "also", "other"}
_ENDS = " ?؟.!،,:"
_SPEECH_EN = {"think", "thinks", "thought", "add", "added", "state", "stated", "claim", "claimed", "mention", "mentioned"}


def is_follow_up(question: str) -> bool:
    """True when ``question`` reads as a follow-up: a leading "and/what about/وماذا عن",
    a pronoun, or three words or fewer."""
    return bool(_LEAD.search(question) or _PRONOUNS.search(question) or len(question.split()) <= 3)


def own_topic(question: str, language: str | None = None) -> str:
    """What a follow-up asks about, without its lead and pronouns ("" when nothing is left).

    >>> own_topic("And what about the UN?"), own_topic("What else did he say?")
    ('the UN', '')
    >>> own_topic("وماذا عن الأمم المتحدة؟"), own_topic("And what did Lavrov say?")
    ('الأمم المتحدة', '')
    """
    rest = _LEAD.sub("", question, count=1).strip(_ENDS)
    people = speakers_in_question(rest)
    if (language or detect_language(question)) == "en":
        names = {w for s in people for n in s.english for w in n.split()}
        words = [w for w in re.findall(r"[\w'-]+", rest.lower()) if not _PRONOUNS.fullmatch(w)]
        stop = ENGLISH_QUESTION_WORDS | _FILLER_EN | names | _SPEECH_EN
        content = [w for w in words if w not in stop]
    else:
        names = {t for s in people for n in s.arabic for t in analyse(n)}
        content = [t for t in analyse(_PRONOUNS.sub(" ", rest)) if t not in QUESTION_WORDS and t not in names]
    return rest if content else ""


def with_subject(topic: str, previous: str, language: str) -> str | None:
    """``topic`` asked of the previous question's people, in ``language``; None when the
    previous question named nobody."""
    speakers = speakers_in_question(previous)
    if not speakers:
        return None
    if language == "en":
        who = " and ".join(english_name(s) for s in speakers[:2])
        if asks_for_statement(previous):
            return f"What did {who} say about {topic}?"
        return f"What about {topic}, for {who}?"
    who = " و".join(s.arabic[0] for s in speakers[:2])
    if asks_for_statement(previous):
        return f"ماذا قال {who} عن {topic}؟"
    return f"{topic} ({who})؟"


def standalone_question(question: str, previous: str, language: str | None = None) -> str:
    """``question`` (in ``language``, detected when not given) made to stand alone after
    ``previous`` (see module doc)."""
    if not previous or not is_follow_up(question):
        return question
    language = language or detect_language(question)
    topic = own_topic(question, language)
    if topic:
        rewritten = with_subject(topic, previous, language)
        if rewritten:
            return rewritten
        if _PRONOUNS.search(question) is None and not _LEAD.search(question):
            return question
    return f"{question} ({previous})"
