"""Retrieval (issue 4): the right file for English and Arabic questions offline, fusion that
beats each retriever alone, speaker attribution and the English bridge's topic slots.

Real components throughout: the session index of the bundled articles (Chroma + BM25,
hashing vectors) and, for fusion, a planted corpus ingested into a temporary Chroma + BM25
store with an embedder whose vectors put the documents in a chosen order, so that the dense
ranking is meaningful and known. Spelling variants and diacritics are covered in
``test_retrieval_foundation.py``; timing is measured by ``eval/bench.py``, not asserted here.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from assistant.arabic import analyse, normalize
from assistant.index import Index, open_index
from assistant.ingest import ingest
from assistant.models import Span
from assistant.retrieval import (
    HASHING_WEIGHTS,
    WEIGHTS,
    analyse_query,
    retrieve,
    rrf,
    search,
    spelled_otherwise,
    statement_score,
)
from assistant.settings import PROJECT_ROOT
from assistant.splitter import sentence_spans
from tests.conftest import offline_settings

QUESTIONS = {
    q["id"]: q
    for q in map(json.loads, (PROJECT_ROOT / "eval" / "questions.jsonl").open(encoding="utf-8"))
}
WANG_UKRAINE_EN = "What did Wang Yi say about Ukraine?"
LAVROV_EURASIA_AR = "ماذا قال لافروف عن أمن أوراسيا؟"
FILE_001 = "001_2a0015d8fffb9b77.txt"
FILE_004 = "004_86293efd93ced441.txt"
# Eval questions whose top retrieved file is right today (checked with the offline index).
ENGLISH_IDS = ["q01", "q02", "q03", "q04", "q05", "q06", "q15", "q17", "q20", "q37", "q39", "q61"]
ARABIC_IDS = ["q08", "q09", "q11", "q13", "q24", "q27", "q43", "q54"]
# Words that introduce reported speech, as written in the articles.
SPEECH_VERBS = {"قال", "وقال", "أكد", "وأكد", "أضاف", "وأضاف", "تابع", "وتابع", "كشف", "أعلن"}


def eval_case(qid: str) -> pytest.ParameterSet:
    q = QUESTIONS[qid]
    return pytest.param(q["question"], q["sources"], id=qid)


def top_source(index: Index, question: str) -> str:
    _, results = retrieve(index, question, 6)
    assert results, f"nothing retrieved for {question!r}"
    return results[0].chunk.source


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text, Span(0, len(text)), 10**9, len)]


def reports_speech(sentence: str, name: str, topic: str) -> bool:
    """True when ``sentence`` has ``name``, a speech verb and ``topic`` (diacritics ignored)."""
    words = normalize(sentence).replace("،", " ").replace(":", " ").split()
    verbs = {normalize(v) for v in SPEECH_VERBS}
    return (
        normalize(name) in words
        and normalize(topic) in normalize(sentence)
        and bool(verbs & set(words))
    )


# --- the right file, offline ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "sources"),
    [pytest.param(WANG_UKRAINE_EN, [FILE_004], id="wang-yi-ukraine")]
    + [eval_case(qid) for qid in ENGLISH_IDS],
)
def test_an_english_question_retrieves_its_arabic_article_first_offline(
    shared_index: Index, question: str, sources: list[str]
) -> None:
    assert top_source(shared_index, question) in sources


@pytest.mark.parametrize(("question", "sources"), [eval_case(qid) for qid in ARABIC_IDS])
def test_an_arabic_question_retrieves_its_article_first(
    shared_index: Index, question: str, sources: list[str]
) -> None:
    assert top_source(shared_index, question) in sources


@pytest.mark.parametrize(
    "question",
    [WANG_UKRAINE_EN, QUESTIONS["q29"]["question"], QUESTIONS["q61"]["question"], "Ukraine"],
)
def test_english_results_are_distinct_chunks_in_descending_score_order(
    shared_index: Index, question: str
) -> None:
    _, results = retrieve(shared_index, question, 6)
    ids = [r.chunk.chunk_id for r in results]
    scores = [r.score for r in results]
    assert 0 < len(ids) <= 6
    assert len(set(ids)) == len(ids)
    assert scores == sorted(scores, reverse=True)


def test_a_chunk_found_by_both_retrievers_is_returned_once_with_both_ranks(
    shared_index: Index,
) -> None:
    _, results = retrieve(shared_index, WANG_UKRAINE_EN, 6)
    both = [r for r in results if set(r.ranks) == {"dense", "bm25"}]
    assert both, "expected at least one chunk found by dense and BM25 alike"
    assert len({r.chunk.chunk_id for r in results}) == len(results)


# --- fusion --------------------------------------------------------------------------------


def test_rrf_puts_first_the_item_both_rankings_place_second() -> None:
    dense = ["paraphrase", "target", "bread", "fair", "exchange", "glossary"]
    bm25 = ["glossary", "target", "exchange"]
    fused = rrf({"dense": dense, "bm25": bm25})
    assert max(fused, key=fused.__getitem__) == "target"
    assert dense[0] != "target" and bm25[0] != "target"


def test_rrf_counts_an_id_repeated_within_one_ranking_once_at_its_best_rank() -> None:
    fused = rrf({"bm25": ["x", "x", "y"]})
    assert fused == pytest.approx({"x": 1 / 61, "y": 1 / 62})


def test_with_hashing_weights_dense_vectors_cannot_overturn_the_bm25_leader() -> None:
    rankings = {"dense": ["target", "glossary"], "bm25": ["glossary", "target"]}
    hashing = rrf(rankings, HASHING_WEIGHTS)
    model = rrf(rankings, WEIGHTS)
    assert max(hashing, key=hashing.__getitem__) == "glossary"
    assert model["target"] == pytest.approx(model["glossary"])


# Planted corpus: the question is about drought and the wheat harvest.
FUSION_QUESTION = "ما أثر الجفاف على محصول القمح؟"
FUSION_ARTICLES = {
    # Repeats the question's words in a list: BM25's favourite, semantically empty.
    "a_glossary.txt": "مسرد المصطلحات الزراعية\n\nمسرد: القمح، الجفاف، محصول، القمح، الجفاف، محصول القمح.",
    # The answer: shares the words and the meaning, but less of either than the decoys.
    "b_target.txt": "تراجع محصول القمح\n\nتراجع محصول القمح هذا العام في السهول الشرقية بعد موسم جفاف طويل أضر بالمزارعين.",
    # Same meaning in other words: dense's favourite, invisible to BM25.
    "c_paraphrase.txt": "شح الأمطار يتلف السنابل\n\nأدى شح الأمطار إلى تلف السنابل في الحقول وخسر المزارعون موسمهم كله.",
    "d_bread.txt": "أسعار الخبز\n\nارتفعت أسعار الخبز في المدن الكبرى خلال الشهر الماضي.",
    "e_fair.txt": "معرض للآلات\n\nافتتحت وزارة الزراعة معرضا للآلات الحديثة في المدينة.",
    "f_exchange.txt": "البورصة\n\nاستقر سعر القمح في البورصة العالمية أمس.",
}
# Cosine similarity of each article to the question, keyed by a word only it contains.
PLANTED_SIMILARITY = {
    "السنابل": 0.95,
    "السهول": 0.85,
    "الخبز": 0.6,
    "للآلات": 0.5,
    "البورصة": 0.4,
    "مسرد": 0.1,
}


class PlantedEmbedder:
    """A deterministic "model": the query is the unit vector e1 and each planted article a
    unit vector at its ``PLANTED_SIMILARITY`` to it, so the dense ranking is known."""

    id = "planted-similarity-4"
    dim = 4

    def _vector(self, text: str) -> np.ndarray:
        keys = [k for k in PLANTED_SIMILARITY if k in text]
        assert len(keys) == 1, f"expected one planted key in {text[:40]!r}, found {keys}"
        cos = PLANTED_SIMILARITY[keys[0]]
        return np.array([cos, np.sqrt(1 - cos**2), 0.0, 0.0], dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)


@pytest.fixture(scope="module")
def fusion_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    root = tmp_path_factory.mktemp("fusion")
    (root / "articles").mkdir()
    for name, text in FUSION_ARTICLES.items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    settings = offline_settings(root / "articles", root / "store")
    embedder = PlantedEmbedder()
    ingest(settings, embedder=embedder)
    return open_index(settings, embedder=embedder)


def ranked_sources(index: Index, use: tuple[str, ...]) -> list[str]:
    analysis = analyse_query(FUSION_QUESTION)
    return [r.chunk.source for r in search(index, analysis, 6, use=use)]


def test_dense_search_alone_prefers_the_paraphrase_and_ranks_the_answer_second(
    fusion_index: Index,
) -> None:
    assert ranked_sources(fusion_index, ("dense",))[:2] == ["c_paraphrase.txt", "b_target.txt"]


def test_bm25_alone_prefers_the_glossary_and_never_sees_the_paraphrase(
    fusion_index: Index,
) -> None:
    ranked = ranked_sources(fusion_index, ("bm25",))
    assert ranked[:2] == ["a_glossary.txt", "b_target.txt"]
    assert "c_paraphrase.txt" not in ranked


def test_fusing_dense_and_bm25_puts_the_answer_first(fusion_index: Index) -> None:
    results = search(fusion_index, analyse_query(FUSION_QUESTION), 6)
    assert results[0].chunk.source == "b_target.txt"
    assert results[0].ranks == {"dense": 2, "bm25": 2}


# --- speaker attribution -------------------------------------------------------------------


def test_for_what_wang_yi_said_about_ukraine_the_top_chunk_has_him_saying_it(
    shared_index: Index,
) -> None:
    _, results = retrieve(shared_index, WANG_UKRAINE_EN, 6)
    top = results[0].chunk
    assert top.source == FILE_004
    assert any(reports_speech(s, "وانغ", "أوكرانيا") for s in sentences(top.text)), top.text


def test_for_what_lavrov_said_about_eurasian_security_the_top_chunk_has_him_saying_it(
    shared_index: Index,
) -> None:
    _, results = retrieve(shared_index, LAVROV_EURASIA_AR, 6)
    top = results[0].chunk
    assert top.source == FILE_001
    assert any(reports_speech(s, "لافروف", "أوراسيا") for s in sentences(top.text)), top.text


def test_the_speaker_bonus_lifts_the_passage_where_wang_yi_speaks_about_ukraine(
    shared_index: Index,
) -> None:
    analysis, with_bonus = retrieve(shared_index, WANG_UKRAINE_EN, 6)
    analysis.wants_statement = False  # same question, attribution switched off
    without = search(shared_index, analysis, 6)
    speaking = with_bonus[0].chunk.chunk_id
    assert [r.chunk.chunk_id for r in without].index(speaking) > 0


WANG_SAID = "قال وانغ يي إن الأزمة في أوكرانيا تتطلب حلا سياسيا."
WANG_MET = "التقى وانغ يي نظيره الروسي سيرغي لافروف في موسكو لبحث أوكرانيا."
WANG_SAID_OFF_TOPIC = "قال وانغ يي إن التجارة مع روسيا تنمو بسرعة."
TITLE_SAID = "قال وزير الخارجية الصيني إن الأزمة في أوكرانيا تتطلب حلا سياسيا."


def test_statement_score_prefers_wang_yi_said_ukraine_over_wang_yi_met() -> None:
    analysis = analyse_query(WANG_UKRAINE_EN)
    said = statement_score(analysis, WANG_SAID, [])
    met = statement_score(analysis, WANG_MET, [])
    assert said == 1.0
    assert 0 < met < said


def test_statement_score_gives_nothing_for_a_statement_on_another_topic() -> None:
    analysis = analyse_query(WANG_UKRAINE_EN)
    assert statement_score(analysis, WANG_SAID_OFF_TOPIC, []) == 0.0


def test_statement_score_takes_the_best_sentence_of_a_passage() -> None:
    analysis = analyse_query(WANG_UKRAINE_EN)
    passage = f"{WANG_MET} {WANG_SAID_OFF_TOPIC} {WANG_SAID}"
    assert statement_score(analysis, passage, []) == 1.0


def test_a_title_counts_as_the_speaker_only_in_an_article_that_names_him() -> None:
    analysis = analyse_query(WANG_UKRAINE_EN)
    in_his_article = statement_score(analysis, TITLE_SAID, ["wang_yi"])
    elsewhere = statement_score(analysis, TITLE_SAID, [])
    assert 0 < in_his_article < 1.0
    assert elsewhere == 0.0


def test_statement_score_is_the_share_of_topics_the_statement_covers() -> None:
    analysis = analyse_query(LAVROV_EURASIA_AR)
    both = statement_score(analysis, "قال لافروف إن أمن أوراسيا أولوية.", [])
    one = statement_score(analysis, "قال لافروف إن أوراسيا منطقة مهمة.", [])
    assert both == 1.0
    assert one == pytest.approx(0.5)


# --- the English bridge's slots ------------------------------------------------------------


def ukraine_terms() -> set[str]:
    return set(analyse("أوكرانيا"))


def test_a_bridged_topic_is_one_slot_and_the_speaker_is_not_a_topic() -> None:
    analysis = analyse_query(WANG_UKRAINE_EN)
    assert [s.key for s in analysis.speakers] == ["wang_yi"]
    assert len(analysis.slots) == 1
    assert analysis.slots[0] & ukraine_terms()
    assert not analysis.topic_terms & analysis.name_terms
    assert analysis.untranslated == []


def test_a_phrase_with_several_arabic_translations_fills_one_slot_not_several() -> None:
    analysis = analyse_query("What did Wang Yi say about Ukraine talks?")
    assert len(analysis.slots) == 2
    talks = next(s for s in analysis.slots if not s & ukraine_terms())
    assert len(talks) >= 2, talks


def test_a_phrase_asked_twice_is_one_slot() -> None:
    assert len(analyse_query("What did Wang Yi say about Ukraine and Ukraine?").slots) == 1


def test_untranslated_english_words_lower_the_coverage_of_any_text() -> None:
    plain = analyse_query(WANG_UKRAINE_EN)
    odd = analyse_query("What did Wang Yi say about Ukraine and zorblaxes?")
    everything = plain.topic_terms
    assert odd.untranslated == ["zorblaxes"]
    assert plain.coverage(everything, speakers_found=1) == 1.0
    assert odd.coverage(everything, speakers_found=1) < 1.0


def test_a_named_speaker_missing_from_a_text_lowers_its_coverage() -> None:
    analysis = analyse_query(WANG_UKRAINE_EN)
    terms = analysis.topic_terms
    assert analysis.coverage(terms, speakers_found=0) < analysis.coverage(terms, speakers_found=1)


def test_the_rarer_slot_weighs_more_in_coverage() -> None:
    analysis = analyse_query("What did Wang Yi say about Ukraine talks?")
    talks = next(s for s in analysis.slots if not s & ukraine_terms())
    rare = sorted(talks)[0]
    analysis.weigh_slots(lambda term: 5.0 if term == rare else 1.0)
    assert analysis.coverage({rare}, 0) > analysis.coverage(ukraine_terms(), 0)


def test_a_question_of_only_unknown_words_covers_nothing() -> None:
    analysis = analyse_query("Zorblax quuxes?")
    assert analysis.slots == []
    assert analysis.coverage({"anything"}, speakers_found=0) == 0.0


def test_the_planted_fusion_articles_are_what_the_test_assumes() -> None:
    """Guards the planted corpus: one similarity key per article, none in the question."""
    for text in FUSION_ARTICLES.values():
        assert sum(k in text for k in PLANTED_SIMILARITY) == 1
    assert not any(k in FUSION_QUESTION for k in PLANTED_SIMILARITY)
    assert not set(analyse(FUSION_ARTICLES["c_paraphrase.txt"])) & set(
        analyse_query(FUSION_QUESTION).terms
    )


def test_the_transliteration_vocabulary_is_built_only_for_an_unknown_capitalised_name() -> None:
    calls: list[int] = []

    def vocabulary() -> frozenset[str]:
        calls.append(1)
        return frozenset({"زرداري"})

    analyse_query("What did Wang Yi say about Ukraine?", vocabulary)
    assert calls == []
    analysis = analyse_query("What did Lavrov discuss with Zardarey?", vocabulary)
    assert calls == [1]
    assert "زرداري" in analysis.bridged


def unseen_idf(known: set[str]) -> Callable[[str], float]:
    """An IDF that knows only ``known`` terms (1.0) and gives every other term the unseen value."""
    return lambda term: 1.0 if term in known else 9.0


def test_a_lexicon_name_is_a_name_slot_and_a_common_word_is_not() -> None:
    analysis = analyse_query("What did Wang Yi say about Brazil and the book fair?")
    named = [analysis.slots[i] for i in analysis.name_slots]
    assert len(named) == 1
    assert set(analyse("البرازيل")) & named[0]
    assert len(analysis.slots) > 1  # "book", "fair" are slots, not names


def test_a_name_no_article_contains_is_absent_and_a_common_word_never_is() -> None:
    analysis = analyse_query("What did Wang Yi say about Brazil and the book fair?")
    analysis.weigh_slots(unseen_idf(set()), dense_reads_words=True)
    assert analysis.absent_names == list(analysis.name_slots) != []
    present = analyse_query("What did Wang Yi say about Brazil and the book fair?")
    present.weigh_slots(unseen_idf(set(analyse("البرازيل"))), dense_reads_words=True)
    assert present.absent_names == []


def test_an_arabic_question_has_no_name_slots() -> None:
    assert analyse_query("ماذا قال وانغ يي عن البرازيل؟").name_slots == {}


def test_a_month_is_not_a_name_an_article_must_contain() -> None:
    analysis = analyse_query("What did Lavrov say during his visit to China in April 2024?")
    analysis.weigh_slots(unseen_idf(set()), dense_reads_words=True)
    months = [i for i in analysis.absent_names if analysis.slots[i] & set(analyse("أبريل نيسان"))]
    assert months == []
    assert analysis.absent_names != []  # China, unseen by this IDF, still is a name


def test_a_name_the_articles_spell_otherwise_is_found_by_its_transliteration() -> None:
    from assistant.bridge import SkeletonIndex

    assert spelled_otherwise("Tashkent", SkeletonIndex(["طشقند", "في"]))
    assert not spelled_otherwise("Brazil", SkeletonIndex(["طشقند", "في"]))
    assert not spelled_otherwise("Brazil", frozenset({"برازيل"}))  # no index: nothing to check
