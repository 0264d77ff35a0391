"""Offline answers: the sentences of the retrieved passages that carry the answer, quoted.

With no LLM configured, an answer is a short list of verbatim sentences, each cited to
its file and character offsets, introduced in the question's language by a line that
says these are quotes from the sources. For an English reader, each Arabic quote is
introduced in English by who speaks (the speaker's English name, when known, or the name
as the question writes it when the quote is that person's words:
:mod:`assistant.quote_intros`) and which article (title, date).

Evidence, not a quota: the best sentence is always quoted; a further sentence only when
it is as strong as the best (another article saying it, as multi-article questions need)
or when it answers a part of the question that the chosen quotes leave open. A sentence
is scored by the question slots it fills (topic terms weighted by rarity, named
speakers), by the slots its passage fills around it (where, when: news states the
setting once and the answer in the next sentence), by whether the asked speaker is the
one speaking (for "what did X say about Y": X's own words about Y, continuation
sentences such as "وأضاف: ..." keeping the previous speaker), and by passage rank.
Headlines and captions (short lines with no sentence end) are never quoted.

It abstains, in the question's language, when the evidence is weak: when no passage
covers at least ``ABSTAIN_COVERAGE`` of the question's content terms (English words the
bridge could not translate count as uncovered). The threshold was calibrated on the
eval set's unanswerable questions (see README, "Evaluation"). For "what did X say", the quotes
must give someone's words (:mod:`assistant.answer_checks`): else the words spoken in the same
passages are quoted, or the question is refused when they hold none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.arabic import analyse
from assistant.models import Chunk, Citation, Retrieved, Span
from assistant.retrieval import SPEAKER_SLOT_WEIGHT, QueryAnalysis
from assistant.speakers import (
    Speaker,
    mentions,
    reports_speech,
    sentence_speakers,
    speaker_score,
)
from assistant.splitter import whole_text_spans

ABSTAIN_COVERAGE = 0.5
MAX_SENTENCES = 3
PASSAGES_CONSIDERED = 5
CONTEXT_WEIGHT = 0.5  # a slot filled around the sentence (its passage) counts half
STATEMENT_WEIGHT = 0.5  # the asked speaker saying it, times the topic share the sentence fills
RANK_WEIGHT = 0.15  # tie-breaker: the passage's retrieval rank
EQUALLY_STRONG = 0.9  # a further quote at least this close to the best is kept
MIN_ALONE = 0.3  # ... or as full by itself, when it confirms at least this share of the question
COMPLEMENT_SCORE = 0.6  # a further quote answering an open part must be at least this strong
MIN_GAIN = 0.15  # ... and fill at least this share of the question's slots that are still open
ELABORATION_SCORE = 0.5  # the sentence after the best one, on its topic, is kept from this score
SETTING_WEIGHT = 0.3  # a slot only the question's setting clause fills ("during his visit")
UNNAMED_SPEAKER = 0.7  # for a position asked of nobody by name: any reported speech
DENSE_PER_MISS = 1.5  # English: the model's sentence rank bonus per share of words the bridge missed
MIN_DENSE_SHARE = 0.25  # ... at least this share (a lexicon word may have the wrong sense)
HEADING_MAX_WORDS = 25
TITLE_CHARS = 60  # an intro names the article by at most this much of its title
MAX_ARTICLES_SCANNED = 300  # beyond this many articles, a name is not looked for in all of them
_SETTING_RE = re.compile(
    r"\b(?:during|when|while|after|before|on the sidelines|at their|in (?:his|her|their) (?:meeting|talks|"
    r"call|visit|interview))\b|(?:^|\s)(?:خلال|أثناء|اثناء|عندما|بعد|لدى|على هامش)(?:\s|$)",
    re.IGNORECASE,
)
_POSITION_RE = re.compile(r"\b(?:position|stance|views?)\b|موقف|رأي|رأيه|موقفه", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?؟…][\"'”»)\]]*\s*$")

INTRO = {
    "en": "Quoted from the articles (offline mode: no language model; the quotes are in Arabic):",
    "ar": "مقتطفات من المقالات (وضع دون نموذج لغوي: الإجابة اقتباس حرفي من المصادر):",
}
ABSTAIN = {
    "en": "The articles do not say. No passage in the indexed articles answers this question.",
    "ar": "لا تذكر المقالات ذلك. لم أجد في المقالات المفهرسة ما يجيب عن هذا السؤال.",
}
ABSENT_PERSON = {
    "en": "The articles do not mention {name}. No article that answers this question names this person, "
    "so nothing they said can be quoted.",
    "ar": "لا تذكر المقالات {name}. لم أجد في المقالات التي تتناول هذا السؤال من يحمل هذا الاسم، "
    "فلا يمكن اقتباس ما قاله.",
}
UNPLACED = {
    "en": "The articles do not give this figure for {place}: the passages that answer it give it for "
    "elsewhere or for the whole country.",
    "ar": "لا تذكر المقالات هذا الرقم في {place}: المقاطع التي تتناوله تذكره لمكان آخر أو للبلد كله.",
}
ABSENT_ROLE = {
    "en": "The articles quote no {role}: none of the articles that answer this question mentions anyone "
    "with that title.",
    "ar": "لا تنقل المقالات عن {role} شيئا: لا تذكر المقالات التي تتناول هذا السؤال أحدا بهذه الصفة.",
}
UNPRICED = {
    "en": "The articles do not give this price: the passages that answer it state no amount of money.",
    "ar": "لا تذكر المقالات هذا المبلغ: المقاطع التي تتناول السؤال لا تذكر أي مبلغ مالي.",
}
UNIT_UNPRICED = {
    "en": "The articles do not give a price for one unit: the passages that answer this question "
    "give no amount for each one, only other figures (such as a whole deal's value).",
    "ar": "لا تذكر المقالات سعر الوحدة الواحدة: المقاطع التي تتناول السؤال لا تذكر مبلغا لكل وحدة، "
    "بل أرقاما أخرى (كقيمة الصفقة كلها).",
}
UNMENTIONED = {
    "en": "The articles do not say which: the passages that answer this question name no company or bank.",
    "ar": "لا تذكر المقالات ذلك: المقاطع التي تتناول هذا السؤال لا تسمي أي شركة أو مصرف.",
}
UNNAMED = {
    "en": "The articles do not name it: they say only «{phrase}».",
    "ar": "لا تذكر المقالات الاسم: تقول «{phrase}» فقط.",
}
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence: its chunk, its span in the original file, its score, the
    question slots it fills and who speaks in it (None: nobody known)."""

    chunk: Chunk
    span: Span
    text: str
    score: float
    rank: int
    filled: frozenset[str] = frozenset()
    speaker: Speaker | None = None
    alone: float = 0.0  # the share of the question the sentence confirms word for word
    dense_rank: int | None = None  # the model's rank of the sentence for the question (0 best)


SentenceSimilarity = Callable[[list[str]], list[float]]
"""Cosine of the question's vector to each sentence's (the model's reading, see
:mod:`assistant.sentence_vectors`); None offline with the hashing embedder."""


def is_heading(text: str) -> bool:
    """True for a headline, sub-heading, byline or caption: a short line with no sentence end.

    >>> is_heading("لافروف في الصين.. مباحثات حول التعاون الإستراتيجي"), is_heading("قال لافروف إن ذلك مهم.")
    (True, False)
    """
    return not _SENTENCE_END.search(text) and len(text.split()) <= HEADING_MAX_WORDS


def unclitic(term: str) -> str:
    """An analysed term without the one-letter proclitics the stemmer sometimes leaves on
    (ب ل و ف ك), when four letters remain: "بافغانست" and "لافغانست" are "افغانست".

    >>> unclitic("بافغانست"), unclitic("لمساعد"), unclitic("بكين")
    ('افغانست', 'مساعد', 'بكين')
    """
    while len(term) > 4 and term[0] in "بلوفك":
        term = term[1:]
    return term


def text_terms(analysis: QueryAnalysis, text: str) -> set[str]:
    """The analysed terms of ``text``, plus each slot term of the question that one of them
    equals once proclitics are set aside, so that a slot is not left open because the
    stemmer kept a "ب" on one side ("بأفغانستان" fills the slot "أفغانستان")."""
    terms = set(analyse(text))
    bare = {unclitic(t) for t in terms}
    found = {t for slot in analysis.slots for t in slot if unclitic(t) in bare}
    return terms | found | same_country(analysis, terms)


def same_country(analysis: QueryAnalysis, terms: set[str]) -> set[str]:
    """The question's slot terms that name a country which ``terms`` name in another form:
    the stemmer keeps "الأردن" (ارد) and "الأردنية" (اردن) apart, but both are Jordan."""
    from assistant.countries import form_stems

    stems = form_stems()
    asked = {t: stems[t] for slot in analysis.slots for t in slot if t in stems}
    if not asked:
        return set()
    present = {stems[t] for t in terms if t in stems}
    return {t for t, code in asked.items() if code in present}


def coverage(analysis: QueryAnalysis, text: str, names: list[str], model_read: bool = False) -> float:
    """Share of the question's slots (topics and named speakers) that ``text`` fills
    (``model_read``: it holds the model's closest sentence, see ``QueryAnalysis.coverage``)."""
    found = sum(mentions(text, s, names) for s in analysis.speakers)
    return analysis.coverage(text_terms(analysis, text), found, model_read)


def slot_weights(analysis: QueryAnalysis) -> dict[str, float]:
    """Weight of each slot a text can fill: topic slots ``t0, t1 …``, speakers ``s:key``."""
    weights = analysis.slot_weights or [1.0] * len(analysis.slots)
    found = {f"t{i}": w for i, w in enumerate(weights)}
    found.update({f"s:{s.key}": SPEAKER_SLOT_WEIGHT for s in analysis.speakers})
    return found


def topic_slots(analysis: QueryAnalysis, text: str) -> frozenset[str]:
    """The topic slots (``t0``, ``t1`` …) that share a term with ``text``."""
    terms = text_terms(analysis, text)
    return frozenset(f"t{i}" for i, slot in enumerate(analysis.slots) if slot & terms)


def filled_slots(
    analysis: QueryAnalysis, text: str, names: list[str], speaker: Speaker | None = None
) -> frozenset[str]:
    """The slots ``text`` fills: topic slots sharing a term with it, speakers it names (or
    titles), and its own speaker (a continuation sentence names nobody)."""
    filled = set(topic_slots(analysis, text))
    filled |= {
        f"s:{s.key}"
        for s in analysis.speakers
        if mentions(text, s, names) or (speaker is not None and speaker.key == s.key)
    }
    return frozenset(filled)


def lexical_support(analysis: QueryAnalysis, filled: frozenset[str]) -> float:
    """Share of the question that a text with slots ``filled`` confirms word for word: the
    weighted filled slots over all slots plus the English words the bridge could not
    translate (each weighing like the heaviest slot), which no Arabic text can confirm,
    whether or not a multilingual model ranked the passage."""
    weights = slot_weights(analysis)
    unseen = analysis.untranslated_weight or max(weights.values(), default=1.0)
    total = sum(weights.values()) + unseen * len(analysis.untranslated)
    return sum(weights[s] for s in filled if s in weights) / total if total else 0.0


def share(weights: dict[str, float], slots: frozenset[str] | set[str]) -> float:
    """Weighted share of all slots that ``slots`` are (0 when the question has none)."""
    total = sum(weights.values())
    return sum(weights[s] for s in slots if s in weights) / total if total else 0.0


def passage_sentences(chunk: Chunk) -> list[tuple[Span, str]]:
    """The sentences of a chunk as spans of the original file, with their text."""
    spans = whole_text_spans(chunk.text)
    return [(Span(chunk.start + s.start, chunk.start + s.end), chunk.text[s.start : s.end]) for s in spans]


def candidate_sentences(
    analysis: QueryAnalysis, retrieved: list[Retrieved], names: dict[str, list[str]]
) -> list[tuple[int, Chunk, Span, str, frozenset[str], Speaker | None, Speaker | None]]:
    """Distinct prose sentences of the top passages: ``(rank, chunk, span, text, filled
    slots, speaker, previous sentence's speaker)``."""
    seen: set[tuple[str, int]] = set()
    found = []
    for rank, item in enumerate(retrieved[:PASSAGES_CONSIDERED]):
        chunk, article_names = item.chunk, names.get(item.chunk.source, [])
        sentences = passage_sentences(chunk)
        speakers = sentence_speakers([text for _, text in sentences], article_names)
        for i, (span, text) in enumerate(sentences):
            if (chunk.source, span.start) in seen or is_heading(text):
                continue
            seen.add((chunk.source, span.start))
            filled = filled_slots(analysis, text, article_names, speakers[i])
            found.append((rank, chunk, span, text, filled, speakers[i], speakers[i - 1] if i else None))
    return found


def setting_slots(analysis: QueryAnalysis) -> set[str]:
    """Topic slots that only the question's *setting* fills: the clause after "during",
    "when", "خلال", "على هامش" … ("what did Lavrov say about relations *during his meeting
    in Tashkent*"). The answer is what the rest asks about; news states the setting once,
    in another sentence, so setting slots weigh less in choosing the quote."""
    question = analysis.question
    marker = _SETTING_RE.search(question)
    if marker is None or not analysis.slots:
        return set()
    focus, setting = question[: marker.start()], question[marker.start() :]
    if analysis.language == "en":
        from assistant.bridge import bridge_query

        focus, setting = bridge_query(focus).text, bridge_query(setting).text
    focus_terms, setting_terms = text_terms(analysis, focus), text_terms(analysis, setting)
    return {
        f"t{i}" for i, slot in enumerate(analysis.slots) if slot & setting_terms and not slot & focus_terms
    }


def local_weights(weights: dict[str, float], filled: list[frozenset[str]]) -> dict[str, float]:
    """Slot weights times their rarity among the candidate sentences: a slot that many
    candidates fill is the question's setting ("the meeting in Tashkent"), one that few
    fill is what it asks about ("the Belt and Road")."""
    count = len(filled)
    return {
        slot: weight * (0.5 + math.log((count + 1) / (1 + sum(slot in f for f in filled))))
        for slot, weight in weights.items()
    }


def dense_ranks(analysis: QueryAnalysis, texts: list[str], dense: SentenceSimilarity | None) -> list[int | None]:
    """The model's rank (0 best) of each sentence for an English question; ``None`` each
    for an Arabic one or without a model (Arabic words reach the sentences directly).

    >>> dense_ranks(QueryAnalysis("q", "en", "", []), ["a", "b", "c"], lambda t: [0.2, 0.9, 0.5])
    [2, 0, 1]
    """
    if dense is None or analysis.language != "en" or not texts:
        return [None] * len(texts)
    similarity = dense(texts)
    order = sorted(range(len(texts)), key=lambda i: -similarity[i])
    ranks: list[int | None] = [None] * len(texts)
    for rank, i in enumerate(order):
        ranks[i] = rank
    return ranks


def dense_weight(analysis: QueryAnalysis) -> float:
    """How much the model's sentence rank counts for an English question: in proportion to
    the share of its words the bridge could not translate (what the lexicon cannot check),
    and at least ``MIN_DENSE_SHARE`` of that, since a word it knows may be the wrong sense
    ("fair" → عادل for a book fair)."""
    return DENSE_PER_MISS * max(MIN_DENSE_SHARE, analysis.bridge_miss_share)


def score_sentences(
    analysis: QueryAnalysis,
    retrieved: list[Retrieved],
    names: dict[str, list[str]],
    dense: SentenceSimilarity | None = None,
) -> list[Sentence]:
    """Every distinct prose sentence of the top passages, scored (see module doc)."""
    candidates = candidate_sentences(analysis, retrieved, names)
    ranks = dense_ranks(analysis, [c[3] for c in candidates], dense)
    model = dense_weight(analysis)
    weights = local_weights(slot_weights(analysis), [c[4] for c in candidates])
    for slot in setting_slots(analysis):
        weights[slot] *= SETTING_WEIGHT
    topic = {k: w for k, w in weights.items() if k.startswith("t")}
    asked = analysis.speakers[0] if analysis.speakers and analysis.wants_statement else None
    around = {
        r.chunk.chunk_id: filled_slots(analysis, r.chunk.text, names.get(r.chunk.source, []))
        for r in retrieved[:PASSAGES_CONSIDERED]
    }
    # For "what did X say", X's slot is filled as much as X speaks in the sentence (1 as the
    # subject of a speech verb, 0.3 merely named), not by any mention of X.
    asked_slot = {f"s:{asked.key}"} if asked is not None else set()
    position = _POSITION_RE.search(analysis.question) is not None
    scored = []
    for (rank, chunk, span, text, filled, speaker, previous), dense_rank in zip(candidates, ranks, strict=True):
        score = share(weights, filled - asked_slot)
        if dense_rank is not None:
            score += model / (1 + dense_rank)
        score += CONTEXT_WEIGHT * share(weights, around[chunk.chunk_id] - filled - asked_slot)
        score += RANK_WEIGHT / (1 + rank)
        if asked is not None:
            said = speaker_score(text, asked, names.get(chunk.source, []), previous)
            score += said * share(weights, asked_slot)
            score += STATEMENT_WEIGHT * said * (share(topic, filled) if topic else 1.0)
        elif position and reports_speech(text):  # "what is Sudan's position on …": someone's words
            score += STATEMENT_WEIGHT * UNNAMED_SPEAKER * (share(topic, filled) if topic else 1.0)
        alone = lexical_support(analysis, filled)
        scored.append(Sentence(chunk, span, text, score, rank, filled, speaker, alone, dense_rank))
    return scored


def best_coverage(
    analysis: QueryAnalysis,
    retrieved: list[Retrieved],
    names: dict[str, list[str]],
    model_chunk: str | None = None,
) -> float:
    """The highest question coverage of any top passage (the abstention signal);
    ``model_chunk`` is the id of the passage holding the model's closest sentence."""
    return max(
        (
            coverage(analysis, r.chunk.text, names.get(r.chunk.source, []), r.chunk.chunk_id == model_chunk)
            for r in retrieved[:PASSAGES_CONSIDERED]
        ),
        default=0.0,
    )


def _weak(
    analysis: QueryAnalysis, retrieved: list[Retrieved], names: dict[str, list[str]], model_chunk: str | None
) -> bool:
    """True when the evidence is too weak to answer: no top passage covers
    ``ABSTAIN_COVERAGE`` of the question, nor (for a question of several parts) two passages
    of different articles, each answering a part, together."""
    if best_coverage(analysis, retrieved, names, model_chunk) >= ABSTAIN_COVERAGE:
        return False
    from assistant.multi_article import joint_coverage

    return joint_coverage(analysis, retrieved, names, model_chunk) < ABSTAIN_COVERAGE


def model_passage(sentences: list[Sentence], retrieved: list[Retrieved]) -> str | None:
    """The chunk id of the passage that holds the model's closest sentence when it is also
    the passage retrieval ranks first (two readings agreeing: the fused passage ranking and
    the sentence ranking), else None: the passage in which the English words the lexicon
    could not translate count as read (``QueryAnalysis.coverage``)."""
    best = next((s.chunk.chunk_id for s in sentences if s.dense_rank == 0), None)
    return best if retrieved and best == retrieved[0].chunk.chunk_id else None


def pick(
    sentences: list[Sentence],
    weights: dict[str, float] | None = None,
    limit: int = MAX_SENTENCES,
    asked: Speaker | None = None,
) -> list[Sentence]:
    """The evidence, best first: the best sentence, then each further one that is as strong
    (``EQUALLY_STRONG`` of its score, or of the share of the question it fills by itself,
    which lets another sentence or article that answers it too be cited), or that fills at least
    ``MIN_GAIN`` of the slots still open while scoring at least ``COMPLEMENT_SCORE`` of the
    best. For "what did X say" (``asked``), another article's sentence must be X speaking.
    One precise quote beats three loose ones."""
    ranked = sorted(sentences, key=lambda s: (-s.score, s.rank, s.span.start))
    if not ranked:
        return []
    weights = weights or {}
    best = ranked[0]
    chosen, filled = [best], set(best.filled)
    for sentence in ranked[1:]:
        if len(chosen) >= limit:
            break
        gain = share(weights, sentence.filled - filled)
        own = share(weights, sentence.filled)
        elsewhere = sentence.chunk.source not in {s.chunk.source for s in chosen}
        as_strong = sentence.score >= EQUALLY_STRONG * best.score or (
            _said_by(sentence, asked, elsewhere)
            and sentence.alone >= MIN_ALONE
            and own >= EQUALLY_STRONG * share(weights, best.filled)
            and sentence.score >= COMPLEMENT_SCORE * best.score
        )
        if elsewhere and sentence.alone < ABSTAIN_COVERAGE:
            continue  # another article is cited only for a sentence that answers by itself
        if as_strong or (gain >= MIN_GAIN and sentence.score >= COMPLEMENT_SCORE * best.score):
            chosen.append(sentence)
            filled |= sentence.filled
    follow = next((s for s in ranked if _continues(best, s)), None)
    if follow is not None and follow not in chosen and len(chosen) < limit:
        chosen.insert(1, follow)
    return chosen


def _said_by(sentence: Sentence, asked: Speaker | None, elsewhere: bool) -> bool:
    """True when ``sentence`` may stand for what ``asked`` said (always when nobody is
    asked): ``asked`` is its speaker, or, in the article already quoted, it names ``asked``
    and no one else is known to speak in it ("وعبر الرئيس الصيني عن ثقته …", a verb the
    attribution does not know). Another article's sentence must be ``asked`` speaking."""
    if asked is None or (sentence.speaker is not None and sentence.speaker.key == asked.key):
        return True
    return not elsewhere and sentence.speaker is None and f"s:{asked.key}" in sentence.filled


def _continues(best: Sentence, sentence: Sentence) -> bool:
    """True for the sentence right after ``best`` in its passage that takes up one of its
    topics (news elaborates the lead's point in the next sentence: "وتمحور الاجتماع حول …"),
    scoring at least ``ELABORATION_SCORE`` of it."""
    gap = sentence.chunk.text[best.span.end - best.chunk.start : sentence.span.start - sentence.chunk.start]
    return (
        sentence.chunk.chunk_id == best.chunk.chunk_id
        and sentence.span.start > best.span.end
        and not gap.strip()
        and bool({f for f in best.filled & sentence.filled if f.startswith("t")})
        and sentence.score >= ELABORATION_SCORE * best.score
    )


def cite(sentences: list[Sentence]) -> tuple[Citation, ...]:
    """Citations for chosen sentences (quote == original[start:end] by construction)."""
    return tuple(
        Citation(
            source=s.chunk.source,
            quote=s.text,
            start=s.span.start,
            end=s.span.end,
            chunk_id=s.chunk.chunk_id,
            title=s.chunk.title,
            date=s.chunk.date,
        )
        for s in sentences
    )


def english_date(date: str | None) -> str:
    """``2024-04-29`` as ``29 April 2024`` (anything else unchanged; "" for None).

    >>> english_date("2024-04-29"), english_date(None), english_date("spring")
    ('29 April 2024', '', 'spring')
    """
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", date or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return date or ""
    year, month, day = match.groups()
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}"


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """``title`` cut at a word boundary to at most ``limit`` characters, with "…" when cut.

    >>> short_title("one two three", 9), short_title("short")
    ('one two…', 'short')
    """
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip("،,.:… ") + "…"


def english_intro(citation: Citation, speaker: str | None) -> str:
    """Who speaks (``speaker``, an English name) and where, in English:
    ``Sergey Lavrov, in "title" (29 April 2024)``."""
    where = f'"{short_title(citation.title)}"' if citation.title else citation.source
    date = english_date(citation.date)
    where += f" ({date})" if date else ""
    return f"{speaker}, in {where}" if speaker else f"From {where}"


def render(
    language: str,
    citations: tuple[Citation, ...],
    intro: str | None = None,
    speakers: list[str | None] | None = None,
) -> str:
    """Answer text: an intro line, then each quote with its ``[n]`` marker; for an English
    reader, each quote introduced by its speaker's English name and article (``speakers``
    given, :func:`assistant.quote_intros.intro_names`)."""
    lines = [intro or INTRO.get(language, INTRO["en"])]
    for n, c in enumerate(citations, start=1):
        if language == "en" and speakers is not None:
            lines.append(f"- {english_intro(c, speakers[n - 1])}: «{c.quote}» [{n}]")
        else:
            lines.append(f"- «{c.quote}» [{n}]")
    return "\n".join(lines)


def names_other_country(
    analysis: QueryAnalysis, chosen: list[Sentence], mentioned: Callable[[str], frozenset[str]] | None
) -> bool:
    """True when the question names a country that none of the articles of ``chosen``
    mentions anywhere: their sentences are about another country ("Morocco's olive oil
    exports" and a sentence on Tunisia's, which shares every other word), so they do not
    answer it. Whole articles, not passages: a country stated once in the lead still sets
    the scene of every later sentence."""
    if mentioned is None or not chosen:
        return False
    from assistant.countries import named_countries

    named = named_countries(analysis.question)
    if not named:
        return False
    covered = frozenset().union(*(mentioned(source) for source in {s.chunk.source for s in chosen}))
    return not named <= covered


def choose(analysis: QueryAnalysis, sentences: list[Sentence], names: dict[str, list[str]]) -> list[Sentence]:
    """The quotes among scored ``sentences``: :func:`pick`, then the multi-article
    completion (a part of the question another article answers)."""
    from assistant.multi_article import complete  # it builds on this module's scoring

    asked = analysis.speakers[0] if analysis.speakers and analysis.wants_statement else None
    weights = slot_weights(analysis)
    return complete(analysis, sentences, pick(sentences, weights, asked=asked), names, weights)


def extractive_answer(
    analysis: QueryAnalysis,
    retrieved: list[Retrieved],
    names: dict[str, list[str]],
    language: str | None = None,
    dense: SentenceSimilarity | None = None,
    mentioned: Callable[[str], frozenset[str]] | None = None,
    article_text: Callable[[str], str] | None = None,
    every_source: Callable[[], list[str]] | None = None,
) -> tuple[str, tuple[Citation, ...], bool]:
    """``(text, citations, abstained)`` for one question, offline, in ``language`` (default:
    the language of the user's own words, ``analysis.reply_language``); ``dense`` gives the
    model's similarity of the question to sentences, when a multilingual model is used;
    ``mentioned`` the countries each article (by source) mentions: a question naming a
    country none of the quoted articles mentions is refused (:func:`names_other_country`);
    ``article_text`` the whole text of an article (by source): "what did X say" is refused
    when no retrieved article names X (:func:`absent_speaker`)."""
    language = language or analysis.reply_language
    abstain = ABSTAIN.get(language, ABSTAIN["en"])
    missing = absent_speaker(analysis, retrieved, article_text, every_source)
    if missing is not None:
        return ABSENT_PERSON.get(language, ABSENT_PERSON["en"]).format(name=missing), (), True
    sentences = score_sentences(analysis, retrieved, names, dense)
    model_chunk = model_passage(sentences, retrieved)
    from assistant.institution_names import unfound_words

    absent_words = unfound_words(
        analysis.question, analysis.absent_words, analysis.lexicon_words, (s.text for s in sentences)
    )
    if analysis.absent_names or absent_words or _weak(analysis, retrieved, names, model_chunk):
        return abstain, (), True
    from assistant.answer_checks import quotes_speech, reports_words, words_of_asked
    from assistant.subject_anchor import anchor_quotes
    from assistant.value_quotes import with_asked_value

    chosen = choose(analysis, sentences, names)
    if not quotes_speech(analysis, chosen):  # "what did X say": quote what is said in those passages
        passages = {s.chunk.chunk_id for s in chosen}
        spoken = [s for s in sentences if s.chunk.chunk_id in passages and reports_words(s)]
        chosen = choose(analysis, spoken, names)
    # X named but not a known speaker (assistant.speakers, whose titles the attribution
    # knows): when the quotes are someone else's words, X's own sentences are quoted instead.
    own = [] if analysis.speakers else words_of_asked(analysis.question, analysis.language, chosen, sentences, article_text)
    if own:
        chosen = choose(analysis, own, names)
    chosen = with_asked_value(analysis.question, chosen, sentences, retrieved)
    # Quotes only from articles that mention the question's named subject ("Sharara").
    anchored = anchor_quotes(analysis, chosen, retrieved, article_text, mentioned)
    if chosen and not anchored.kept:
        return anchored.refusal(language), (), True
    chosen = anchored.kept
    citations = cite(chosen)
    if not citations or names_other_country(analysis, chosen, mentioned):
        return abstain, (), True
    refusal = _refusal(analysis, chosen, article_text, language)
    if refusal is not None:
        return refusal, (), True
    from assistant.quote_intros import intro_names
    from assistant.unread_question import reads_nothing

    if reads_nothing(analysis, [s.text for s in sentences], dense):  # only words the lexicon lacks
        return abstain, (), True
    return render(language, citations, speakers=intro_names(analysis, chosen, article_text)), citations, False


def _refusal(
    analysis: QueryAnalysis, chosen: list[Sentence], article_text: Callable[[str], str] | None, language: str
) -> str | None:
    """The refusal, in ``language``, when the chosen quotes do not give what the question
    asks for: a title nobody in the quoted articles holds (:func:`_absent_role`), or what
    the question's kind needs (:func:`unanswered_kind`); None when they do."""
    role = _absent_role(analysis, chosen, article_text)
    if role is not None:
        return ABSENT_ROLE.get(language, ABSENT_ROLE["en"]).format(role=role)
    return unanswered_kind(analysis.question, [s.text for s in chosen], language)


def _absent_role(
    analysis: QueryAnalysis, chosen: list[Sentence], article_text: Callable[[str], str] | None
) -> str | None:
    """The title of X, as the question writes it, when "what did X say" names X by a title
    whose noun ("وزير", "minister") none of the quoted articles contains: they mention nobody
    holding it, so their words are someone else's (:func:`assistant.person_names.absent_role`)."""
    if article_text is None or analysis.speakers:
        return None
    from assistant.person_names import absent_role

    texts = [article_text(source) for source in dict.fromkeys(s.chunk.source for s in chosen)]
    return absent_role(analysis.question, analysis.language, texts)


def unanswered_kind(question: str, quotes: list[str], language: str) -> str | None:
    """The refusal, in ``language``, when the quotes do not give what the question's kind
    asks for (:mod:`assistant.answer_kinds`): a name where they say only «شركة صينية», a
    place's figure where they give the country's; None when they do."""
    from assistant.answer_kinds import (
        generic_name,
        unit_unpriced,
        unmentioned_kind,
        unplaced_value,
        unpriced,
    )

    unnamed = generic_name(question, quotes)
    if unnamed is not None:
        return UNNAMED.get(language, UNNAMED["en"]).format(phrase=unnamed)
    if unmentioned_kind(question, quotes):
        return UNMENTIONED.get(language, UNMENTIONED["en"])
    place = unplaced_value(question, quotes)
    if place is not None:
        return UNPLACED.get(language, UNPLACED["en"]).format(place=place)
    if unpriced(question, quotes):
        return UNPRICED.get(language, UNPRICED["en"])
    if unit_unpriced(question, quotes):
        return UNIT_UNPRICED.get(language, UNIT_UNPRICED["en"])
    return None


def absent_speaker(
    analysis: QueryAnalysis,
    retrieved: list[Retrieved],
    article_text: Callable[[str], str] | None,
    every_source: Callable[[], list[str]] | None = None,
) -> str | None:
    """The name of the person a "what did X say" question asks about, when none of the
    articles retrieval found (their whole text, ``article_text`` by source) names them, nor
    any other indexed article (``every_source``, read only up to ``MAX_ARTICLES_SCANNED``
    of them: "the articles do not mention X" must be true of all of them)
    (:mod:`assistant.person_names`); None when they do, or when that cannot be checked."""
    if article_text is None or not retrieved:
        return None
    from assistant.person_names import absent_person

    sources = list(dict.fromkeys(r.chunk.source for r in retrieved))
    missing = absent_person(analysis.question, analysis.language, [article_text(s) for s in sources])
    if missing is None or every_source is None:
        return missing
    others = [s for s in every_source() if s not in sources]
    if len(others) > MAX_ARTICLES_SCANNED:
        return None  # too many to read for each question: X may be in one retrieval missed
    elsewhere = absent_person(analysis.question, analysis.language, [article_text(s) for s in others])
    return missing if elsewhere is not None else None
