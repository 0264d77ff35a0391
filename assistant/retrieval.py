"""Hybrid bilingual retrieval: analyse the question, search Chroma and BM25, fuse, re-rank.

Steps for one question:

1. *Analyse*, once, at the entry (:func:`analyse_query`): detect its language; normalise
   Arabic exactly as the index does; for an English question, bridge it to Arabic terms
   (lexicon + transliteration, no weights; plus an LLM translation when one is
   configured and passed in); find the named speakers. Every later stage (search,
   answerers, summaries, the LLM prompt) reads this :class:`QueryAnalysis` and never
   re-detects the language or re-normalises the question; its dense vector is computed
   once, on first use, and kept in it.
2. *Search*: dense (the embedder; for the weight-free hashing embedder an English
   question is embedded through its Arabic bridge, since hashed English n-grams match
   nothing) and BM25 over analysed terms, ``CANDIDATES`` each.
3. *Fuse* with reciprocal rank fusion (ranks, not raw scores, so the two scales need no
   calibration), weighted per embedder and question language (:func:`fusion_for`: with a
   multilingual model, an English question leans on dense in proportion to the words the
   bridge could not translate), deduplicate by chunk id, and keep the scores.
4. *Speaker attribution*: for "what did X say", add a bonus to chunks where X (or X's
   title, in an article naming X) is the subject of a speech verb.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from assistant.arabic import analyse, analyse_word, detect_language
from assistant.index import Index
from assistant.models import Chunk, Retrieved
from assistant.speakers import (
    CACHED_SENTENCES,
    SPEECH_VERBS_AR,
    Speaker,
    asks_for_statement,
    speaker_score,
    speakers_in_question,
)
from assistant.splitter import whole_text_spans

if TYPE_CHECKING:
    from assistant.bridge import BridgeResult

Translate = Callable[[str], str]

CANDIDATES = 30
RRF_K = 60
SPEAKER_SHARE = 0.5  # the largest speaker bonus, as a share of a rank-1 RRF contribution
SPEAKER_BONUS = SPEAKER_SHARE / (RRF_K + 1)
# Fusion weights per embedder kind. Measured with `python -m eval.ablation` on the eval set:
# fusing the weight-free hashing vectors at full weight lowered file hit@1 (ar 100→89%,
# en 97→88%), so offline they only break ties and serve when BM25 finds nothing.
WEIGHTS = {"dense": 1.0, "bm25": 1.0}
HASHING_WEIGHTS = {"dense": 0.05, "bm25": 1.0}
# With a real multilingual model (e5), measured with `python -m eval.fusion` on the main and
# the held-out set (README, "Retrieval with the e5 engine"): Arabic BM25 over analysed terms
# beats dense, so dense weighs half; for an English question BM25 sees only what the bridge
# translated, so dense weighs ``MODEL_EN_DENSE_PER_MISS`` × the share of its content words
# the bridge missed (0 when the lexicon knew every word: then BM25 leads, dense breaks ties).
# A small RRF k lets the rank-1 passages of the two rankings count (30 candidates each).
MODEL_RRF_K = 5
MODEL_AR_DENSE = 0.5
MODEL_EN_DENSE_PER_MISS = 2.0
MIN_DENSE = 0.05


@dataclass(frozen=True)
class Fusion:
    """How one question's rankings are fused: weight per ranking and the RRF constant."""

    weights: dict[str, float]
    k: int = RRF_K

    @property
    def speaker_bonus(self) -> float:
        """The largest speaker-attribution bonus on this fusion's score scale."""
        return SPEAKER_SHARE / (self.k + 1)


def fusion_for(embedder_id: str, analysis: QueryAnalysis) -> Fusion:
    """The fusion for this embedder and question (see the constants above)."""
    if embedder_id.startswith("hashing"):
        return Fusion(HASHING_WEIGHTS)
    if analysis.language == "en":
        dense = max(MIN_DENSE, MODEL_EN_DENSE_PER_MISS * analysis.bridge_miss_share)
    else:
        dense = MODEL_AR_DENSE
    return Fusion({"dense": dense, "bm25": 1.0}, MODEL_RRF_K)


# Words that shape a question but carry no topic (analysed forms): not counted as topic.
QUESTION_WORDS = set(
    analyse(
        "ماذا ما هل متى أين كيف لماذا من عن في على إلى الى مع قال قالت يقول أكد ذكر بحسب ماهي ما هو "
        "وما ماذا كان كانت التي الذي تم وفق حول بشأن خلال لخص اذكر اشرح تحدث تحدثت أي "
        "مدة كم عدد نوع المقال المقالة المقالات مقالات"  # the articles themselves, as "article(s)" in English
    )
) | set(analyse("منه منها منهم عنه عنها عنهم فيه فيها فيهم عليه عليها إليه إليها له لها لهم به بها هذا هذه ذلك تلك"
    " وفي ومن وعن وعلى ومع وإلى"  # a preposition after "و" (the stemmer leaves "وفي" whole)
    " وبأي بأي لأي ولأي وكم بكم فكم وأين وهل"  # a question word after "و" or a preposition
)) | {analyse_word(v) for v in SPEECH_VERBS_AR} | set(analyse("تقول قول يقولون قالوا"))
ENGLISH_QUESTION_WORDS = {
    "what", "did", "does", "do", "say", "said", "says", "about", "the", "of", "in", "on", "who", "when",
    "where", "which", "how", "why", "is", "are", "was", "were", "a", "an", "and", "to", "tell", "told",
    "kind", "sort", "type", "any", "some", "shortly", "exactly", "really", "also", "according",
    "report", "reports", "article", "articles",
}  # fmt: skip
PASSED_THROUGH = ("arabic", "number")  # bridge labels of tokens kept as they are
NAME_LABELS = ("transliteration", "country")  # bridge labels of names found outside the lexicon
# Capitalised in English but not names: an article may give a date in figures only.
CALENDAR_WORDS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})  # fmt: skip
UNTRANSLATED_WEIGHT = 1.0
MIN_NAME_WORDS = 2  # capitalised words in a run that make it a proper name (absent_name_words)
MIN_NAME_LETTERS = 4  # shorter words of a name are not judged absent
SPEAKER_SLOT_WEIGHT = 1.5


@dataclass
class QueryAnalysis:
    """Everything the pipeline knows about one question, worked out once at the entry.

    ``language`` is that of the searched text (``question``: for an offline follow-up,
    the question joined with the previous one); ``reply_language`` is that of the words
    the user typed, which answers, refusals and prompts use (the same unless a follow-up
    is joined with a question in the other language).
    """

    question: str
    language: str
    arabic_text: str
    terms: list[str]
    speakers: list[Speaker] = field(default_factory=list)
    wants_statement: bool = False
    bridged: list[str] = field(default_factory=list)
    slots: list[frozenset[str]] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    slot_weights: list[float] = field(default_factory=list)
    untranslated_weight: float = UNTRANSLATED_WEIGHT
    name_slots: dict[int, str] = field(default_factory=dict)
    absent_names: list[int] = field(default_factory=list)
    absent_words: list[str] = field(default_factory=list)
    lexicon_words: frozenset[str] = frozenset()
    reply_language: str = ""
    dense_reads_words: bool = False
    _vector: tuple[str, Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.reply_language = self.reply_language or self.language

    def dense_vector(self, embedder: Any, text: str) -> Any:
        """The embedding of ``text`` by ``embedder``, computed on first use and kept (one
        model call per question, whichever stages ask for it)."""
        key = f"{embedder.id}\x00{text}"
        if self._vector is None or self._vector[0] != key:
            self._vector = (key, embedder.embed_query(text))
        return self._vector[1]

    @property
    def name_terms(self) -> set[str]:
        """Analysed tokens of the named speakers' Arabic names (one entity, many tokens)."""
        return {t for s in self.speakers for form in s.arabic for t in analyse(form)}

    @property
    def bridge_miss_share(self) -> float:
        """Share of an English question's content words the bridge could not translate
        (0 for Arabic): how much of the question BM25 over Arabic terms cannot see."""
        missed = len(self.untranslated)
        return missed / (missed + len(self.slots)) if missed else 0.0

    @property
    def topic_terms(self) -> set[str]:
        """What the question is about: the union of its topic slots."""
        return set().union(*self.slots) if self.slots else set()

    def coverage(self, text_terms: set[str], speakers_found: int, model_read: bool = False) -> float:
        """Weighted share of the question's slots filled by a text.

        Each topic slot (a set of alternative terms) weighs the IDF of its rarest term
        (rare topics like "Taiwan" count most; a topic absent from the whole index weighs
        most of all), each named speaker weighs ``SPEAKER_SLOT_WEIGHT``, and untranslated
        English words are slots worth ``untranslated_weight`` that can never be filled.
        A question of which nothing but untranslated words remain, searched with a
        multilingual model (``dense_reads_words``), has no lexical evidence either way:
        its coverage is 1, so the passages the model ranked are quoted, not refused.

        ``model_read``: the text holds the sentence the multilingual model reads as closest
        to the question; the untranslated words then count as slots it fills, each weighing
        like the heaviest slot (the model's evidence for the words the lexicon cannot check).
        """
        weights = self.slot_weights or [1.0] * len(self.slots)
        speakers = SPEAKER_SLOT_WEIGHT * len(self.speakers)
        read = 0.0
        if model_read and self.dense_reads_words:
            read = max([*weights, UNTRANSLATED_WEIGHT]) * len(self.untranslated)
        total = sum(weights) + speakers + self.untranslated_weight * len(self.untranslated) + read
        if total == 0:
            return 1.0 if self.untranslated and self.dense_reads_words else 0.0
        filled = sum(w for slot, w in zip(self.slots, weights, strict=True) if slot & text_terms)
        return (filled + SPEAKER_SLOT_WEIGHT * speakers_found + read) / total

    def weigh_slots(self, idf: Callable[[str], float], dense_reads_words: bool = False) -> None:
        """Set ``slot_weights``: each slot weighs the IDF of its rarest term.

        A word the bridge could not translate cannot be found in the Arabic index. Without
        a multilingual model nothing reads it: it weighs like a term the index has never
        seen (what "moon" is to these articles). With one (``dense_reads_words``), the
        model reads it and ranks the passages, so a word missing from the hand-written
        lexicon is not counted as missing evidence (measured with ``python -m
        eval.calibrate``: counting it refused 17 of 18 answerable English questions on the
        held-out articles).

        Also sets ``absent_names``: the name slots (:func:`name_slot_indices`) that no
        indexed passage contains in any of their forms."""
        self.slot_weights = [max(idf(t) for t in slot) for slot in self.slots]
        self.dense_reads_words = dense_reads_words
        unseen = idf("\x00unseen")
        self.absent_names = [i for i in self.name_slots if all(idf(t) >= unseen for t in self.slots[i])]
        self.untranslated_weight = 0.0 if dense_reads_words else idf("\x00unseen")


def _is_topic(term: str, names: set[str]) -> bool:
    """A topic term: not a question or function word (a pronoun on a preposition, "منها"),
    not a speaker's name, not a stemming remnant of one or two letters, not a bare number
    (a year counts)."""
    if len(term) < 3 and not term.isdigit():
        return False
    return term not in QUESTION_WORDS and term not in names and (not term.isdigit() or len(term) == 4)


def _arabic_slots(terms: list[str], names: set[str]) -> list[frozenset[str]]:
    return [frozenset({t}) for t in terms if _is_topic(t, names)]


def _english_slots(
    result: BridgeResult, speakers: list[Speaker], terms_of: Callable[[str], frozenset[str]]
) -> list[frozenset[str]]:
    """One slot per bridged English phrase (its Arabic forms' terms, ``terms_of``), minus
    question words and speaker names: "talks" → {محادث, مباحث, حديث} counts once, not three times."""
    speaker_words = {w for s in speakers for n in s.english for w in n.split()}
    slots = []
    for phrase, label in result.matched:
        words_ = phrase.lower().split()
        if label in PASSED_THROUGH or all(w in ENGLISH_QUESTION_WORDS or w in speaker_words for w in words_):
            continue  # Arabic words and numbers inside an English question make no slot
        terms = terms_of(phrase)
        if terms and terms not in slots:
            slots.append(terms)
    return slots


def phrase_terms(
    names: set[str], vocabulary: Collection[str] | None = None
) -> Callable[[str], frozenset[str]]:
    """A function giving a bridged phrase's topic terms (the analysed Arabic of the phrase
    bridged alone, minus non-topic terms and ``names``), each phrase bridged once per question:
    the slots and the name slots both ask for them. ``vocabulary``: the one the question was
    bridged with, so that a name it transliterated ("Tawjihi" → التوجيهي) is a slot too."""
    from assistant.bridge import bridge_query

    @cache
    def terms_of(phrase: str) -> frozenset[str]:
        bridged = bridge_query(phrase, vocabulary, language="en").text
        return frozenset(t for t in analyse(bridged) if _is_topic(t, names))

    return terms_of


def name_slot_indices(
    result: BridgeResult,
    slots: list[frozenset[str]],
    names: set[str],
    terms_of: Callable[[str], frozenset[str]] | None = None,
) -> dict[int, str]:
    """Index → English phrase of the slots that translate a proper name of an English question: a
    lexicon headword spelled with a capital ("Iran", "Brazil") or a transliteration. A name
    has one sense, so when no article contains any of its Arabic forms the articles do not
    mention it, whereas a common word absent from them ("fair" → عادل for a book fair) may
    only be the lexicon's other sense. Months and weekdays are not names (an article may
    date an event in figures only). ``terms_of``: :func:`phrase_terms` of ``names``, when
    the caller has one already."""
    terms_of = terms_of or phrase_terms(names)
    found: dict[int, str] = {}
    for phrase, label in result.matched:
        if label in PASSED_THROUGH or not (label in NAME_LABELS or label[:1].isupper()):
            continue
        if set(phrase.lower().split()) & CALENDAR_WORDS:
            continue
        terms = terms_of(phrase)
        found.update({i: phrase for i, slot in enumerate(slots) if slot == terms and i not in found})
    return found


def analyse_query(
    question: str,
    vocabulary: Collection[str] | Callable[[], Collection[str]] = frozenset(),
    translation: str | Translate = "",
    language: str | None = None,
    reply_language: str | None = None,
) -> QueryAnalysis:
    """Language, Arabic query text, BM25 terms and speakers of ``question`` (module doc).

    ``vocabulary`` (or a function giving it, built only when needed) lets the bridge
    transliterate capitalised names the lexicon lacks. ``translation`` is an Arabic
    search line, or a function making one that is called only for an English question.
    ``language`` is given when the caller has already detected it for this very text;
    ``reply_language`` when the user's own words differ from the searched text.
    """
    language = language or detect_language(question)
    speakers = speakers_in_question(question, language)
    names = {t for s in speakers for form in s.arabic for t in analyse(form)}
    if callable(translation):
        translation = translation(question) if language == "en" else ""
    if language == "en":
        from assistant.bridge import bridge_query

        result = bridge_query(question, language=language)
        words_: Collection[str] | None = None
        if vocabulary and any(w[:1].isupper() for w in result.unmatched):
            words_ = vocabulary() if callable(vocabulary) else vocabulary
            result = bridge_query(question, words_, language=language)
        arabic_text = " ".join([translation, result.text]).strip()
        terms_of = phrase_terms(names, words_)
        slots = _english_slots(result, speakers, terms_of)
        name_slots = name_slot_indices(result, slots, names, terms_of)
        untranslated = [w for w in result.unmatched if w.lower() not in ENGLISH_QUESTION_WORDS]
        bridged = list(result.arabic_terms)
        lexicon_words = frozenset(
            w for phrase, label in result.matched if label not in (*PASSED_THROUGH, *NAME_LABELS)
            for w in phrase.lower().split()
        )
    else:
        arabic_text = " ".join([question, translation]).strip()
        slots, untranslated, bridged, name_slots, lexicon_words = [], [], [], {}, frozenset()
    terms = list(dict.fromkeys(analyse(arabic_text)))  # each term once: variants must not outvote
    if language != "en":
        slots = _arabic_slots(terms, names)
    return QueryAnalysis(
        question=question,
        language=language,
        arabic_text=arabic_text,
        terms=terms,
        speakers=speakers,
        wants_statement=asks_for_statement(question),
        bridged=bridged,
        slots=slots,
        untranslated=untranslated,
        name_slots=name_slots,
        lexicon_words=lexicon_words,
        reply_language=reply_language or language,
    )


def rrf(
    rankings: dict[str, list[str]], weights: dict[str, float] | None = None, k: int = RRF_K
) -> dict[str, float]:
    """Reciprocal rank fusion of several rankings of ids: ``sum w / (k + rank)``.

    >>> sorted(rrf({"a": ["x", "y"], "b": ["y"]}).items())
    [('x', 0.01639344262295082), ('y', 0.03252247488101534)]
    """
    fused: dict[str, float] = {}
    for name, ids in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, chunk_id in enumerate(dict.fromkeys(ids), start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank)
    return fused


def dense_query_text(index: Index, analysis: QueryAnalysis) -> str:
    """What to embed: the question itself for a model, the Arabic side for hashing."""
    if index.embedder.id.startswith("hashing") and analysis.language == "en":
        return analysis.arabic_text
    return analysis.question


def search(
    index: Index,
    analysis: QueryAnalysis,
    k: int,
    use: tuple[str, ...] = ("dense", "bm25"),
    fusion: Fusion | None = None,
) -> list[Retrieved]:
    """Top ``k`` fused, deduplicated, speaker-aware results for an analysed question
    (``fusion`` defaults to :func:`fusion_for`; measurement scripts pass their own)."""
    if index.store is None:
        return []
    rankings: dict[str, list[str]] = {}
    if "dense" in use:
        text = dense_query_text(index, analysis)
        if text.strip():
            vector = analysis.dense_vector(index.embedder, text)
            rankings["dense"] = [i for i, _ in index.store.query(vector, CANDIDATES)]
    if "bm25" in use and index.lexical is not None:
        rankings["bm25"] = [i for i, _ in index.lexical.search(analysis.terms, CANDIDATES)]
    fusion = fusion or fusion_for(index.embedder.id, analysis)
    fused = rrf(rankings, fusion.weights, fusion.k)
    if not fused:
        return []
    chunks = _fetch_reachable(index, analysis, fused, k, fusion.speaker_bonus)
    ranks = {name: {cid: r for r, cid in enumerate(ids, 1)} for name, ids in rankings.items()}
    scored = []
    for chunk_id, score in fused.items():
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        score += _speaker_bonus(index, analysis, chunk.source, chunk.text, fusion.speaker_bonus)
        per = {name: r[chunk_id] for name, r in ranks.items() if chunk_id in r}
        scored.append(Retrieved(chunk=chunk, score=score, ranks=per))
    scored.sort(key=lambda r: (-r.score, r.chunk.source, r.chunk.start))
    return scored[:k]


def _fetch_reachable(
    index: Index, analysis: QueryAnalysis, fused: dict[str, float], k: int, bonus: float = SPEAKER_BONUS
) -> dict[str, Chunk]:
    """Chunks of the fused ids that can still make the top ``k``: within the largest possible
    speaker ``bonus`` (statement_score <= 1) of the k-th best fused score;
    bonuses only add, so the rest cannot.

    Chroma's ``get`` costs ~0.13 ms per id at 100k chunks (60 ids 8 ms, 6 ids 1.5 ms), so
    fetching only these is the same result, faster. Falls back to every id when one is
    missing from the store, as the full fetch would have skipped it.
    """
    assert index.store is not None
    cap = bonus if analysis.speakers and analysis.wants_statement else 0.0
    ids = list(fused)
    if 0 < k < len(ids):
        cutoff = sorted(fused.values(), reverse=True)[k - 1]
        ids = [i for i in ids if fused[i] + cap >= cutoff]
    chunks = index.store.get(ids)
    return chunks if len(chunks) == len(ids) else index.store.get(list(fused))


def statement_score(analysis: QueryAnalysis, text: str, names: list[str]) -> float:
    """How well one sentence of ``text`` reports a named speaker saying something on-topic.

    Max over sentences of ``speaker_score × topic coverage`` (coverage 1 when the
    question names no topic), so "Wang Yi said X" outranks "Wang Yi met Lavrov" when
    the question is what Wang Yi said about X.
    """
    slots = analysis.slots
    best = 0.0
    for sentence in sentence_texts(text):
        who = speaker_score(sentence, analysis.speakers[0], names)  # the one asked about
        if who == 0.0:
            continue
        terms = sentence_terms(sentence)
        covered = sum(bool(slot & terms) for slot in slots) / len(slots) if slots else 1.0
        best = max(best, who * covered)
    return best


def sentence_texts(text: str) -> tuple[str, ...]:
    """The sentences of a passage, as text (its split is kept per passage by
    :func:`assistant.splitter.whole_text_spans`)."""
    return tuple(text[span.start : span.end] for span in whole_text_spans(text))


@lru_cache(maxsize=CACHED_SENTENCES)
def sentence_terms(sentence: str) -> frozenset[str]:
    """``set(analyse(sentence))``, kept per sentence for the same reason."""
    return frozenset(analyse(sentence))


def _speaker_bonus(
    index: Index, analysis: QueryAnalysis, source: str, text: str, bonus: float = SPEAKER_BONUS
) -> float:
    if not (analysis.speakers and analysis.wants_statement):
        return 0.0
    names = index.manifest.files.get(source, {}).get("names", [])
    return bonus * statement_score(analysis, text, names)


_SKELETONS: dict[str, Collection[str]] = {}


def bridge_vocabulary(index: Index) -> Collection[str]:
    """The index's words as a :class:`~assistant.bridge.SkeletonIndex`, built once per BM25
    index (keyed by its fingerprint) rather than on every English question: at 10k chunks
    a build takes 0.4-1 s, which a plain word set passed to the bridge repeated per query."""
    if index.lexical is None:
        return frozenset()
    key = index.lexical.fingerprint
    if key not in _SKELETONS:
        from assistant.bridge import SkeletonIndex

        _SKELETONS.clear()  # one index per process in practice: keep only the latest
        _SKELETONS[key] = SkeletonIndex(index.lexical.words)
    return _SKELETONS[key]


def retrieve(
    index: Index,
    question: str,
    k: int,
    translation: str | Translate = "",
    language: str | None = None,
    reply_language: str | None = None,
) -> tuple[QueryAnalysis, list[Retrieved]]:
    """Analyse (see :func:`analyse_query`) and search in one call (what the answerers use)."""
    # The transliteration index (0.3 s to build at 100k chunks) is built only for an English
    # question with a capitalised word the lexicon lacks.
    analysis = analyse_query(
        question, lambda: bridge_vocabulary(index), translation, language, reply_language
    )
    if index.lexical is not None:
        analysis.weigh_slots(index.lexical.idf, reads_words(index.embedder.id))
    if analysis.absent_names:
        vocabulary = bridge_vocabulary(index)
        analysis.absent_names = [
            i for i in analysis.absent_names if not spelled_otherwise(analysis.name_slots[i], vocabulary)
        ]
    if analysis.language == "en" and analysis.untranslated and index.lexical is not None:
        analysis.absent_words = absent_name_words(analysis, bridge_vocabulary(index))
    return analysis, search(index, analysis, k)


def capitalised_runs(question: str, min_words: int = MIN_NAME_WORDS) -> list[list[str]]:
    """Runs of ``min_words`` (default two) or more consecutive capitalised words of an English
    question (its multi-word proper names: "World Bank", "Hassan Rais"), a possessive "'s" set
    aside; question words ("What", "Did"), months and the question's first word (capitalised as
    any sentence start: "Besides Britain, …") never start or extend a run.

    >>> capitalised_runs("What did the World Bank say to Hassan Rais's team in May?")
    [['World', 'Bank'], ['Hassan', 'Rais']]
    """
    runs: list[list[str]] = [[]]
    opening = len(question) - len(question.lstrip())
    for match in re.finditer(r"[A-Za-z][A-Za-z'’-]*", question):
        if match.start() == opening:
            continue
        token = match.group()
        word = re.sub(r"['’]s$", "", token)
        lower = word.lower()
        if word[:1].isupper() and lower not in ENGLISH_QUESTION_WORDS and lower not in CALENDAR_WORDS:
            runs[-1].append(word)
            if word != token:  # "Rais's team": the possessive ends the name
                runs.append([])
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if len(run) >= min_words]


def absent_name_words(analysis: QueryAnalysis, vocabulary: Collection[str]) -> list[str]:
    """Words of the question's multi-word proper names (:func:`capitalised_runs`) that
    neither the lexicon translated nor any spelling of which occurs in the index, for the
    names none of whose judged words is found: such a name is absent from the articles
    ("World Bank" where no article has بنك in any form; "Gilberto Pichetto").

    Lenient on purpose, as the e5 model reads a name it ranked the passages by, and a false
    refusal hides an answer:

    * a name one of whose judged words is found (translated or transliterated by the
      bridge, or matched here) is spelled otherwise, not absent ("Georges Kazzi": جورج does
      not match "Georges", قزي matches "Kazzi"; "Francois Laurent": لوران drops the "t");
    * a word before a head the lexicon translates is that head's attribute, not a name to
      transliterate ("Education Minister", "Finance Ministry"), so it is not judged;
    * a word too short to check (three letters or fewer, or a transliteration of two
      consonants or fewer, "Rais" رس), or whose skeleton an indexed word shares or misses by
      one letter, counts as found, and so does an Arabic compound name written as one word
      whose parts are found (:func:`name_parts`: "Abdelhakim" عبد الحكيم, "Benyoucef");
    * a single capitalised word is never judged (an exonym such as "Cairo" القاهرة has no
      skeleton in common)."""
    untranslated = set(analysis.untranslated)
    absent = []
    for run in capitalised_runs(analysis.question):
        judged = _judged_words(run, analysis.lexicon_words)
        missing = [word for word in judged if word in untranslated and not _spelled_in(word, vocabulary)]
        if judged and len(missing) == len(judged):
            absent.extend(missing)
    return absent


def _judged_words(run: list[str], lexicon_words: frozenset[str]) -> list[str]:
    """The words of a name ``run`` that are checked against the index: each part of a
    hyphenated word ("Al-Sharif"), of at least ``MIN_NAME_LETTERS`` letters, that no word
    the lexicon translates follows in the run (the head of "Education Minister" is
    "Minister": "Education" is its attribute)."""
    last_translated = max((i for i, w in enumerate(run) if w.lower() in lexicon_words), default=-1)
    return [
        part
        for word in run[last_translated + 1 :]
        for part in re.split(r"[-’']", word)
        if len(part) >= MIN_NAME_LETTERS
    ]


def _spelled_in(word: str, vocabulary: Collection[str]) -> bool:
    """True when some part of ``word`` (:func:`name_parts`) matches an indexed word by
    transliteration or is too short to check."""
    from assistant.bridge import MIN_SKELETON, match_transliteration, transliterate

    return any(
        any(len(c) < MIN_SKELETON for c in transliterate(part)) or match_transliteration(part, vocabulary)
        for part in name_parts(word)
    )


_NAME_PREFIX = re.compile(r"^(?:abd[aeiou]?[lr]?|abou|abu|bou|ben|bin|ibn|el|al)(?=[a-z]{3})", re.IGNORECASE)
_NAME_SUFFIX = re.compile(r"(?<=[a-z]{3})(?:[aeiu]d{1,2}in[e]?)$", re.IGNORECASE)


def name_parts(word: str) -> list[str]:
    """``word`` and, for an Arabic compound name written as one word in Latin letters,
    its part after a prefix (عبد ال، بن، بو، أبو، ال) or before "-eddine" (الدين): the
    articles write those parts as separate words.

    >>> name_parts("Abdelhakim"), name_parts("Benyoucef"), name_parts("Noureddine"), name_parts("Kazzi")
    (['Abdelhakim', 'hakim'], ['Benyoucef', 'youcef'], ['Noureddine', 'Nour'], ['Kazzi'])
    """
    parts = [word]
    prefix = _NAME_PREFIX.match(word)
    if prefix:
        parts.append(word[prefix.end() :])
    suffix = _NAME_SUFFIX.search(word)
    if suffix:
        parts.append(word[: suffix.start()])
    return parts


def spelled_otherwise(name: str, vocabulary: Collection[str]) -> bool:
    """True when every word of an English ``name`` matches a word of the index by
    transliteration (consonant skeleton, as the bridge matches names it lacks): the articles
    may spell it otherwise than the lexicon, so it is not counted as absent."""
    from assistant.bridge import SkeletonIndex, match_transliteration

    if not isinstance(vocabulary, SkeletonIndex) or not name.split():
        return False
    return all(match_transliteration(word, vocabulary) for word in name.split())


def reads_words(embedder_id: str) -> bool:
    """True for an embedder that understands words in any language (a multilingual model),
    False for the hashing embedder, whose vectors only match shared character n-grams."""
    return not embedder_id.startswith("hashing")

