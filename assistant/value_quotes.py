"""Quote the sentence that carries the value the question asks for, when the chosen quotes lack it.

Sentences are scored by the question's words (:mod:`assistant.extractive`), and for an
English question the bridge often translates only its setting ("Hamad Port"), not what it
asks ("cost", "operate", "share"). The best-scored sentence then shares the setting but
not the answer: for "How much did the third container terminal at Hamad Port cost?" a
minister named «الحمود» outscores the lead that states «6.2 مليارات ريال», and the price
check (:mod:`assistant.answer_kinds`) refuses because the chosen quote names no currency.

When the question asks for a kind of value a sentence plainly carries or lacks (an amount
of money, a percentage, a company's name, a date: :func:`assistant.answer_kinds.asked_value`) and
no chosen quote carries it, the candidate sentence that does is quoted first, if it is
about the question's subject:

* it is in the article retrieval ranks first or in the article of the best chosen quote
  (news states a subject's figures in its own article);
* the model ranks it among its ``MODEL_TOP`` sentences closest to the question (the
  model reads the words the bridge missed, "operate", "cost").

A price asked per unit needs a price per unit (:func:`assistant.answer_kinds.carries_value`):
for "How much did a ticket cost?" the model ranks a prize's amount first, which is no ticket's.
A question that names its unit ("What price per truck …?", :func:`assistant.answer_kinds.asks_unit_price`)
gets no such quote at all: nothing here can tell a price per tonne from a price per truck in
an English question, and the unit-price refusal would then accept any unit's price.

Only for English questions read by a multilingual model: an Arabic question's words reach
the sentences directly, so its best-scored sentence already shares what it asks. The
refusal checks then read the new quotes: a price, share or name that is there is quoted,
one that is not is still refused (nothing here adds a refusal).

A date is a month or a year: nearly every news sentence says «أمس الاثنين», which answers
only "When did …" (for that, "yesterday" and a weekday count too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.answer_kinds import asked_value, asks_unit_price, carries_value

if TYPE_CHECKING:
    from assistant.extractive import Sentence
    from assistant.models import Retrieved

MODEL_TOP = 3  # the model's closest sentences (of the ~10-25 candidates) count as on the subject
MAX_QUOTES = 3


def with_asked_value(
    question: str, chosen: list[Sentence], sentences: list[Sentence], retrieved: list[Retrieved]
) -> list[Sentence]:
    """``chosen``, or, when the question asks for a kind of value none of them carries, the
    best sentence on the subject that carries it (:func:`value_sentence`) followed by the
    chosen quotes of its article (another article's quotes answered something else)."""
    kind = asked_value(question)
    if kind is None or not chosen or any(carries_value(kind, question, s.text) for s in chosen):
        return chosen
    if kind == "money" and asks_unit_price(question):
        return chosen  # the unit is the question's: see the module doc
    found = value_sentence(kind, question, chosen, sentences, retrieved)
    if found is None:
        return chosen
    same_article = [
        s for s in chosen if s.chunk.source == found.chunk.source and s.span != found.span
    ]
    return [found, *same_article][:MAX_QUOTES]


def value_sentence(
    kind: str,
    question: str,
    chosen: list[Sentence],
    sentences: list[Sentence],
    retrieved: list[Retrieved],
) -> Sentence | None:
    """The candidate that carries a value of ``kind`` and is about the question's subject
    (see module doc), the model's closest first; None when there is none."""
    articles = {chosen[0].chunk.source} | ({retrieved[0].chunk.source} if retrieved else set())
    found = [
        s
        for s in sentences
        if s.dense_rank is not None
        and s.dense_rank < MODEL_TOP
        and s.chunk.source in articles
        and carries_value(kind, question, s.text)
    ]
    return min(found, key=lambda s: (s.dense_rank, -s.score), default=None)
