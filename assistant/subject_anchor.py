"""Quote only articles about the question's named subject.

A question that names a specific subject (a place, an organisation, a facility, a person:
"Sharara", "Hamad Port", "Muzn-1", or a country) is about the articles that mention it. A
sentence from another article can score well on the question's other words ("price",
"buyers") and be quoted first, and a reader who cannot read Arabic trusts the citation: a
Syrian wheat price quoted for "What price are buyers paying for Sharara crude?" is a wrong
answer with a right-looking source.

The subjects of a question (:func:`question_subjects`) are its English proper names and the
countries it names in either language (:func:`assistant.countries.named_countries`, or an
English adjective: "Kuwaiti"). A name is a stretch of capitalised words that the bridge read
as a name (``QueryAnalysis.name_slots``: lexicon names, transliterations) or could not
translate; a title and its attribute ("Finance Minister") are not names. A name of one word
is found in an article by the bridge's Arabic forms or, leniently, by spelling; a name of
several words by its words side by side, spelled like the question's (one stray word, a
common حامد, does not make an article about "Osman Hamed"). A subject *anchors* the answer
when at least one retrieved article mentions it (a name no article holds is left to the
refusals that deal with absent names). Then, among the quoted sentences:

- a sentence of an article that mentions none of the anchoring subjects is dropped;
- a sentence of an article that mentions fewer of the subjects than another quoted
  article, all of which that article mentions too, is dropped ("Noura al-Hajri ... Hamad
  Port": the article that has only a man called Hamad goes). Here the other article's
  mentions are read strictly (the bridge's forms, not one word's spelling alone), so that a
  stray match (أحمد for "Hamad") cannot make the wrong article look more on the subject.

A question naming two subjects keeps each article that mentions one of them: neither
article's subjects contain the other's. A question of several parts
(:mod:`assistant.multi_article`) is left as it is: a part may be about a place this module
does not read as a subject (an Arabic city). A question asking for a list ("Which countries
buy Tunisia's olive oil?") loses only the articles naming no subject: each article naming
one may add an answer. Whole articles are read, not passages: a
subject named once in the lead sets the scene of every later sentence. When nothing is
left, the question is refused: the articles that mention the subject do not say it.

Arabic questions are anchored by the countries they name only: an Arabic proper name has
no capital letter to tell it from a common word.

This module does not retrieve, score or choose sentences; :mod:`assistant.extractive`
calls :func:`anchor_quotes` on the sentences it chose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.arabic import analyse
from assistant.extractive import Sentence
from assistant.models import Retrieved
from assistant.retrieval import QueryAnalysis, capitalised_runs

UNANCHORED = {
    "en": "The articles that mention {name} do not say this: the passages that answer the question "
    "come from articles about something else.",
    "ar": "لا تذكر المقالات التي تتناول {name} ذلك: المقاطع التي تجيب عن السؤال من مقالات عن موضوع آخر.",
}


def _no_countries() -> frozenset[str]:
    """No countries: what a name (not a country) is checked with."""
    return frozenset()


@dataclass(frozen=True)
class Subject:
    """One named subject of a question: how the question writes it (``name``), and how an
    article shows it: the ``country`` code among the countries the article mentions; for a
    name of several words (``whole``), its words side by side, each spelled like the
    question's (:func:`assistant.person_names.name_in_text`: "Osman Hamed" is عثمان حامد,
    not any article with a حامد; when no article has the whole name, its ``parts`` stand for
    it: "Emirati Muzn-1"); for a one-word name, one of the analysed Arabic ``terms``
    the bridge gave it, or a word spelled like it ("Salma" is سلمى, which the bridge's
    transliteration may have matched to another indexed word)."""

    name: str
    terms: frozenset[str] = frozenset()
    country: str | None = None
    whole: bool = False
    parts: tuple[Subject, ...] = ()  # a whole name's words the bridge read as names, one by one

    def in_article(
        self, text: str, countries: Callable[[], frozenset[str]], lenient: bool = True
    ) -> bool:
        """True when the article ``text``, which mentions ``countries()``, names this subject:
        ``lenient`` also a one-word name by spelling alone (a missed mention drops a good
        quote), else only by the bridge's forms (a stray match, أحمد for "Hamad", must not
        make an article look more about the question than the one that answers it)."""
        from assistant.person_names import name_in_text

        if self.country is not None:
            return self.country in countries()
        if self.whole:
            return name_in_text(tuple(self.name.split()), text)
        if self.terms & article_terms(text):
            return True
        return lenient and name_in_text((self.name,), text)


@dataclass(frozen=True)
class Anchoring:
    """What :func:`anchor_quotes` kept (``kept``, the chosen items in order) and the subject
    a refusal names when nothing is kept (``subject``, None when nothing anchors)."""

    kept: list[Sentence]
    subject: str | None = None

    def refusal(self, language: str) -> str:
        """The refusal when nothing is kept, in ``language``."""
        return UNANCHORED.get(language, UNANCHORED["en"]).format(name=self.subject or "")


def question_subjects(analysis: QueryAnalysis) -> list[Subject]:
    """The named subjects of ``analysis``'s question: its English names, then the countries
    it names in either language (or, in English, by their adjective: "Libyan").

    A name is a stretch of a capitalised run (:func:`_name_runs`: never a title or the
    words before it, "Finance Minister") whose words the bridge read as a name (a name slot)
    or could not translate: "Sharara", "Muzn-1", "Osman Hamed"; a lexicon word that is
    labelled a name but written in lower case ("countries") is not one."""
    from assistant.countries import country_names, english_country, named_countries

    slot_of = {
        word.lower(): i
        for i, phrase in analysis.name_slots.items()
        if i < len(analysis.slots) and analysis.slots[i] and english_country(phrase) is None
        for word in phrase.split()
    }
    unbridged = {w.lower() for w in analysis.untranslated if not english_country(w)}
    subjects: list[Subject] = []
    runs = _name_runs(analysis.question)
    for run in runs:
        for stretch in _stretches(run, set(slot_of) | unbridged):
            subject = _name_subject(stretch, slot_of, analysis)
            if subject is not None and subject not in subjects:
                subjects.append(subject)
    names = country_names()
    codes = set(named_countries(analysis.question))
    if analysis.language == "en":  # "Libyan", "Qatari": a country's adjective names it too
        codes |= {code for run in runs for word in run if (code := english_country(word))}
    for code in sorted(codes):
        arabic, english = names.get(code, ("", ""))
        subjects.append(
            Subject(english if analysis.reply_language == "en" else arabic, country=code)
        )
    return subjects


def _keys(word: str) -> list[str]:
    """``word`` lower-cased, then its hyphenated parts ("al-Hajri" → al-hajri, al, hajri)."""
    return [part.lower() for part in [word, *re.split(r"[-’']", word)] if part]


def _stretches(run: list[str], name_words: set[str]) -> list[list[str]]:
    """The stretches of ``run`` made of words (or a part of one) in ``name_words``."""
    stretches: list[list[str]] = [[]]
    for word in run:
        if any(key in name_words for key in _keys(word)):
            stretches[-1].append(word)
        elif stretches[-1]:
            stretches.append([])
    return [stretch for stretch in stretches if stretch]


def _name_subject(
    stretch: list[str], slot_of: dict[str, int], analysis: QueryAnalysis
) -> Subject | None:
    """The subject a stretch of name words makes: the name slot's own forms when the stretch
    is one slot's phrase, else the whole stretch by spelling; None when no word of it can be
    checked by spelling (:func:`assistant.person_names.judged_words`: "Yi" would be found
    in every article)."""
    from assistant.person_names import judged_words

    slots = list(dict.fromkeys(slot_of[k] for word in stretch for k in _keys(word) if k in slot_of))
    parts = tuple(Subject(analysis.name_slots[i], analysis.slots[i]) for i in slots)
    if len(parts) == 1 and all(any(k in slot_of for k in _keys(w)) for w in stretch):
        return parts[0]
    if not judged_words(tuple(stretch)):
        return None
    return Subject(" ".join(stretch), whole=len(stretch) > 1, parts=parts)


# An Arabic name's article written in lower case and joined to the capitalised name that
# follows ("Raad al-Jubouri", "Abdel Fattah el-Sisi"): part of the name, not a break in it.
_PARTICLE = re.compile(r"\b(al|el|ad|ar|as|ash|at|az|an)-(?=[A-Z])")


def _capital_particle(match: re.Match[str]) -> str:
    """"al-" → "Al-": the particle written as the rest of the name is."""
    return match.group(1).capitalize() + "-"


def _name_runs(question: str) -> list[list[str]]:
    """The capitalised runs of an English question (:func:`capitalised_runs`, single words
    included: never the opening word, question words or months), each without a title and
    the words before it ("Finance Minister"). A lower-case "al-"/"el-" before a capitalised
    word continues the name: "museum director Raad al-Jubouri" is one name of two words, not
    "Raad" alone (which the lexicon may translate: رعد, thunder) and a lost surname.

    >>> _name_runs("What did museum director Raad al-Jubouri say about the winged bull?")
    [['Raad', 'Al-Jubouri']]
    """
    runs = []
    for run in capitalised_runs(_PARTICLE.sub(_capital_particle, question), min_words=1):
        title = max((i for i, word in enumerate(run) if _is_title(word)), default=-1)
        if run[title + 1 :]:
            runs.append(run[title + 1 :])
    return runs


def _is_title(word: str) -> bool:
    """True for an English word the lexicon translates as a title ("Minister" → وزير;
    :data:`assistant.person_names.ROLES_AR`)."""
    from assistant.bridge import load_lexicon
    from assistant.person_names import ROLES_AR, role_stem

    entry = load_lexicon().lookup((word.lower(),))
    return entry is not None and any(
        role_stem(a) in ROLES_AR for a in entry.arabic
    )


@lru_cache(maxsize=256)
def article_terms(text: str) -> frozenset[str]:
    """The analysed terms of an article's whole text (kept per text: the same article is read
    for many questions)."""
    return frozenset(analyse(text))


def anchor_quotes(
    analysis: QueryAnalysis,
    chosen: Sequence[Sentence],
    retrieved: list[Retrieved],
    article_text: Callable[[str], str] | None,
    mentioned: Callable[[str], frozenset[str]] | None,
) -> Anchoring:
    """The ``chosen`` quotes that come from articles about the question's named subjects
    (module doc); all of them when the question names no subject that a retrieved article
    mentions, or when articles cannot be read (``article_text`` None). ``mentioned`` gives
    the countries an article mentions."""
    if article_text is None or not chosen:
        return Anchoring(list(chosen))
    subjects = question_subjects(analysis)
    if not subjects or several_parts(analysis):
        return Anchoring(list(chosen))
    quoted = list(dict.fromkeys(s.chunk.source for s in chosen))
    sources = list(dict.fromkeys([*quoted, *(r.chunk.source for r in retrieved)]))
    subjects = _found_or_parts(subjects, [article_text(source) for source in sources])
    articles = _Articles(subjects, article_text, mentioned)
    named = {source: articles.named(source) for source in quoted}
    if not all(named.values()):  # is a subject of the question in the articles at all?
        named |= {source: articles.named(source) for source in sources if source not in named}
    anchors = frozenset().union(*named.values())
    if not anchors:
        return Anchoring(list(chosen))
    keep = {source for source in quoted if named[source]}
    if len(keep) > 1 and not asks_list(analysis):
        strict = {source: articles.named(source, lenient=False) for source in keep}
        keep = {s for s in keep if not any(named[s] < strict[other] for other in keep)}
    return Anchoring([s for s in chosen if s.chunk.source in keep], subjects[min(anchors)].name)


@dataclass(frozen=True)
class _Articles:
    """Which of ``subjects`` each article (by source) mentions."""

    subjects: list[Subject]
    article_text: Callable[[str], str]
    mentioned: Callable[[str], frozenset[str]] | None

    def named(self, source: str, lenient: bool = True) -> frozenset[int]:
        """Indexes of the subjects article ``source`` mentions (``lenient``: see
        :meth:`Subject.in_article`); its countries are read only for a country subject."""
        text = self.article_text(source)
        mentioned = self.mentioned

        def countries() -> frozenset[str]:
            return mentioned(source) if mentioned is not None else frozenset()

        return frozenset(
            i for i, s in enumerate(self.subjects) if s.in_article(text, countries, lenient)
        )


def _found_or_parts(subjects: list[Subject], texts: list[str]) -> list[Subject]:
    """``subjects``, each whole name that none of ``texts`` holds replaced by its parts (the
    bridge may have read "Emirati" and "Muzn" where the article writes the satellite's name
    apart from the adjective)."""
    found: list[Subject] = []
    for subject in subjects:
        absent = subject.whole and not any(subject.in_article(t, _no_countries) for t in texts)
        for kept in subject.parts if absent else (subject,):
            if kept not in found:
                found.append(kept)
    return found


def several_parts(analysis: QueryAnalysis) -> bool:
    """True for a question of several parts (:func:`assistant.multi_article.question_parts`):
    each part may be answered by an article about a subject of its own."""
    from assistant.multi_article import question_parts

    return len(question_parts(analysis)) > 1


def asks_list(analysis: QueryAnalysis) -> bool:
    """True for a question asking for several answers (:func:`assistant.multi_article.list_head`):
    every article naming a subject may add one, however many of the subjects it names."""
    from assistant.multi_article import list_head

    return list_head(analysis) is not None
