"""Quote only articles about the question's named subject.

A question that names a specific subject (a place, an organisation, a facility, a person:
"Sharara", "Hamad Port", "Muzn-1", or a country) is about the articles that mention it. A
sentence from another article can score well on the question's other words ("price",
"buyers") and be quoted first, and a reader who cannot read Arabic trusts the citation: a
Syrian wheat price quoted for "What price are buyers paying for Sharara crude?" is a wrong
answer with a right-looking source.

The subjects of a question are its English proper names, as the bridge found them in the
index (``QueryAnalysis.name_slots``, each a set of Arabic forms: lexicon names and
transliterations of capitalised words), and the countries it names in either language
(:func:`assistant.countries.named_countries`). A subject *anchors* the answer when at
least one retrieved article mentions it (a name no article holds is left to the refusals
that deal with absent names). Then, among the quoted sentences:

- a sentence of an article that mentions none of the anchoring subjects is dropped;
- a sentence of an article that mentions fewer of the subjects than another quoted
  article, all of which that article mentions too, is dropped ("Noura al-Hajri ... Hamad
  Port": the article that has only a man called Hamad goes). Here the other article's
  mentions are read strictly (the bridge's forms, not spellings alone), so that a stray
  match (أحمد for "Hamad") cannot make the wrong article look more on the subject.

A question naming two subjects keeps each article that mentions one of them: neither
article's subjects contain the other's. A question of several parts or asking for a list
(:mod:`assistant.multi_article`) is left as it is: a part may be about a place this module
does not read as a subject (an Arabic city). Whole articles are read, not passages: a
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

from assistant.arabic import analyse, normalize, strip_clitics
from assistant.extractive import Sentence
from assistant.models import Retrieved
from assistant.retrieval import QueryAnalysis, capitalised_runs

UNANCHORED = {
    "en": "The articles that mention {name} do not say this: the passages that answer the question "
    "come from articles about something else.",
    "ar": "لا تذكر المقالات التي تتناول {name} ذلك: المقاطع التي تجيب عن السؤال من مقالات عن موضوع آخر.",
}


@dataclass(frozen=True)
class Subject:
    """One named subject of a question: how the question writes it (``name``), and how an
    article shows it: the ``country`` code among the countries the article mentions, or for
    a name, any of the analysed Arabic ``terms`` the bridge gave it or a word spelled like
    it (:func:`assistant.person_names.name_in_text`: "Salma" is سلمى, which the bridge's
    transliteration may have matched to another indexed word)."""

    name: str
    terms: frozenset[str] = frozenset()
    country: str | None = None

    def in_article(
        self, text: str, countries: Callable[[], frozenset[str]], lenient: bool = True
    ) -> bool:
        """True when the article ``text``, which mentions ``countries()``, names this subject:
        ``lenient`` also by a word spelled like the name (a missed mention drops a good
        quote), else only by the bridge's forms (a stray match, أحمد for "Hamad", must not
        make an article look more about the question than the one that answers it)."""
        if self.country is not None:
            return self.country in countries()
        if self.terms & article_terms(text):
            return True
        from assistant.person_names import name_in_text

        return lenient and name_in_text(tuple(self.name.split()), text)


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
    """The named subjects of ``analysis``'s question, in this order: each English name slot
    whose phrase the question writes capitalised (a lexicon word such as "countries" that is
    labelled a name is not one), each run of capitalised words the bridge could not
    translate ("Georges Kazzi", matched by spelling only), then each country named, in
    either language.

    A title's attribute is not a name: "Finance" in "Finance Minister Georges Kazzi" (which
    the bridge may transliterate as تونس) names no subject (:func:`_name_runs`)."""
    runs = _name_runs(analysis.question)
    capitalised = {
        part.lower() for run in runs for word in run for part in [word, *re.split(r"[-’']", word)]
    }
    from assistant.countries import country_names, english_country, named_countries

    subjects = [
        Subject(phrase, analysis.slots[i])
        for i, phrase in sorted(analysis.name_slots.items())
        if i < len(analysis.slots)
        and analysis.slots[i]
        and all(w.lower() in capitalised for w in phrase.split())
        and english_country(phrase) is None  # a country is checked as one, below
    ]
    slot_words = {w for s in subjects for w in s.name.split()}
    unbridged = {w for w in analysis.untranslated if w not in slot_words and not english_country(w)}
    subjects += _unbridged_names(runs, unbridged)
    names = country_names()
    codes = set(named_countries(analysis.question))
    if analysis.language == "en":  # "Libyan", "Qatari": a country's adjective names it too
        codes |= {code for word in capitalised if (code := english_country(word.capitalize()))}
    for code in sorted(codes):
        arabic, english = names.get(code, ("", ""))
        subjects.append(
            Subject(english if analysis.reply_language == "en" else arabic, country=code)
        )
    return subjects


def _unbridged_names(runs: list[list[str]], untranslated: set[str]) -> list[Subject]:
    """One subject for each stretch of a capitalised run made of ``untranslated`` words
    that a spelling check can judge (:func:`assistant.person_names.judged_words`: a word
    too short to check, "Yi", would be found in every article)."""
    from assistant.person_names import judged_words

    stretches: list[list[str]] = []
    for run in runs:
        stretches.append([])
        for word in run:
            if word in untranslated:
                stretches[-1].append(word)
            elif stretches[-1]:
                stretches.append([])
    return [Subject(" ".join(words)) for words in stretches if words and judged_words(tuple(words))]


def _name_runs(question: str) -> list[list[str]]:
    """The capitalised runs of an English question (:func:`capitalised_runs`, single words
    included: never the opening word, question words or months), each without a title and
    the words before it ("Finance Minister")."""
    runs = []
    for run in capitalised_runs(question, min_words=1):
        title = max((i for i, word in enumerate(run) if _is_title(word)), default=-1)
        if run[title + 1 :]:
            runs.append(run[title + 1 :])
    return runs


def _is_title(word: str) -> bool:
    """True for an English word the lexicon translates as a title ("Minister" → وزير;
    :data:`assistant.person_names.ROLES_AR`)."""
    from assistant.bridge import load_lexicon
    from assistant.person_names import ROLES_AR

    entry = load_lexicon().lookup((word.lower(),))
    return entry is not None and any(
        strip_clitics(normalize(a)).rstrip("ه") in ROLES_AR for a in entry.arabic
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

    def named_in(source: str, lenient: bool = True) -> frozenset[int]:
        text = article_text(source)
        countries = _countries_of(source, mentioned)
        return frozenset(
            i for i, s in enumerate(subjects) if s.in_article(text, countries, lenient)
        )

    quoted = list(dict.fromkeys(s.chunk.source for s in chosen))
    named = {source: named_in(source) for source in quoted}
    if not all(named.values()):  # is a subject of the question in the articles at all?
        others = dict.fromkeys(r.chunk.source for r in retrieved if r.chunk.source not in named)
        named |= {source: named_in(source) for source in others}
    anchors = frozenset().union(*named.values())
    if not anchors:
        return Anchoring(list(chosen))
    keep = {source for source in quoted if named[source]}
    if len(keep) > 1:
        strict = {source: named_in(source, lenient=False) for source in keep}
        keep = {s for s in keep if not any(named[s] < strict[other] for other in keep)}
    return Anchoring([s for s in chosen if s.chunk.source in keep], subjects[min(anchors)].name)


def _countries_of(
    source: str, mentioned: Callable[[str], frozenset[str]] | None
) -> Callable[[], frozenset[str]]:
    """The countries article ``source`` mentions, read only when a subject is a country."""
    return lambda: mentioned(source) if mentioned is not None else frozenset()


def several_parts(analysis: QueryAnalysis) -> bool:
    """True for a question of several parts or asking for several answers
    (:mod:`assistant.multi_article`): each article may answer with a subject of its own."""
    from assistant.multi_article import list_head, question_parts

    return len(question_parts(analysis)) > 1 or list_head(analysis) is not None
