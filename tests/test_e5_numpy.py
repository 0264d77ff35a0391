"""The numpy query encoder (vectorstore.e5_numpy): the engine's tokens and vectors, used
by the engine embedder for queries, the engine kept for passages, long texts and failures,
and numpy's BLAS thread count set only for the call.

The engine and the model file are real in every test; nothing is timed.
"""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from assistant.model_export import (
    E5File,
    bundled_model_file,
    dequantise_q4,
    read_e5_file,
)
from assistant.settings import Settings
from vectorstore import e5_numpy
from vectorstore.e5_engine import E5EngineEmbedder, clean_text, load_engine
from vectorstore.e5_numpy import BLAS_THREADS, NumpyE5, QueryEncoder, query_encoder
from vectorstore.pair_runner import PairRunner, run_serially

TEXTS = [
    "ماذا قال وزير الخارجية الصيني وانغ يي عن الأزمة في أوكرانيا؟",
    "ما الذي اتفق عليه الطرفان بشأن ربط مشروع الحزام والطريق بالاتحاد الاقتصادي الأوراسي؟",
    "What did Wang Yi say about the crisis in Ukraine?",
    "Besides Britain and France, which countries could join the European-led peacekeeping "
    "group for Ukraine, and what did the ministers say about the ceasefire talks in Riyadh?",
    "قال Wang Yi إن «الصين» ستواصل — 王毅 · Привет 🚀 ١٢٣",
    "هَلْ قَالَ الوَزِيرُ شَيْئاً عَنْ الاقتصاد؟",  # tashkeel
    "UKRAINE ceasefire 2024-03-12 $5bn 12.5% e-mail@example.org",
    "",
    "?",
    "ＡＢＣ ﬁ ㍻ \u200b zero\u00a0width \u2028 tab\there",
    "a  b   c",
    "\u0301x",
    "كلمة " * 120,  # ~240 tokens: still one window of the model
]


@pytest.fixture(scope="module")
def model() -> E5File:
    return read_e5_file(bundled_model_file(), dequantise=False)


@pytest.fixture(scope="module")
def encoder() -> QueryEncoder:
    loaded = query_encoder()
    assert loaded is not None
    return loaded


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.mark.parametrize("text", TEXTS)
def test_numpy_token_ids_are_as_many_as_the_engine_feeds(encoder: QueryEncoder, text: str) -> None:
    ids = encoder.model.token_ids(clean_text(text))
    assert ids[0] == encoder.model.bos and ids[-1] == encoder.model.eos
    assert len(ids) == load_engine().token_count(clean_text(text), True)


@pytest.mark.parametrize("text", TEXTS)
def test_numpy_query_vectors_are_the_engines_within_cosine_0_999(
    encoder: QueryEncoder, text: str
) -> None:
    cleaned = clean_text(text)
    mine = encoder.query(cleaned)
    theirs = load_engine().query(cleaned)
    assert mine is not None and mine.dtype == np.float32 and mine.shape == (384,)
    assert np.isclose(np.linalg.norm(mine), 1.0, atol=1e-5)
    assert float(mine @ theirs) >= 0.999


def test_the_engine_embedder_embeds_queries_with_numpy_and_passages_with_the_engine(
    encoder: QueryEncoder,
) -> None:
    embedder = E5EngineEmbedder.load(numpy_queries=True)
    question = " ماذا قال\x00 وانغ يي؟ "
    assert np.array_equal(embedder.embed_query(question), encoder.query(clean_text(question)))
    passage = embedder.embed_documents([question])[0]
    assert np.array_equal(passage, load_engine().passage(clean_text(question)))


def test_a_text_longer_than_one_model_window_is_left_to_the_engine(encoder: QueryEncoder) -> None:
    long_text = "ab " * 900  # 835 tokens: the engine windows and averages them
    assert encoder.query(clean_text(long_text)) is None
    vector = E5EngineEmbedder.load(numpy_queries=True).embed_query(long_text)
    assert np.array_equal(vector, load_engine().query(clean_text(long_text)))


def test_by_default_the_engine_embeds_questions_and_a_setting_turns_numpy_on() -> None:
    assert Settings().e5_numpy_queries is False
    assert E5EngineEmbedder(load_engine()).numpy_queries is False
    assert E5EngineEmbedder.load().numpy_queries is False


def test_numpy_queries_off_gives_the_engines_own_vectors() -> None:
    embedder = E5EngineEmbedder(load_engine(), numpy_queries=False)
    text = "What did Wang Yi say about Ukraine?"
    assert np.array_equal(embedder.embed_query(text), load_engine().query(text))


def test_an_encoder_that_cannot_load_is_none_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> NumpyE5:
        raise OSError("model file unreadable")

    monkeypatch.setattr(e5_numpy, "load_numpy_e5", broken)
    with caplog.at_level(logging.WARNING, logger="vectorstore.e5_numpy"):
        assert e5_numpy._load_query_encoder.__wrapped__() is None
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "model file unreadable" in warnings[0]


def test_without_an_encoder_the_engine_embeds_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5_numpy, "query_encoder", lambda: None)
    vector = E5EngineEmbedder(load_engine(), numpy_queries=True).embed_query(" وانغ يي ")
    assert np.array_equal(vector, load_engine().query("وانغ يي"))


def test_blas_runs_on_one_thread_during_a_query_and_as_before_after_it(
    encoder: QueryEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _blas_threads()
    seen: list[list[int]] = []
    forward = NumpyE5.forward

    def spying(self: NumpyE5, ids: np.ndarray, *args: object) -> np.ndarray:
        seen.append(_blas_threads())
        return forward(self, ids, *args)

    monkeypatch.setattr(NumpyE5, "forward", spying)
    encoder.query("وانغ يي")
    assert seen == [[BLAS_THREADS] * len(before)]
    assert _blas_threads() == before


def test_the_transposed_dequantised_matrices_equal_the_exports(model: E5File) -> None:
    for name, rows in (("l0.q.w", 384), ("l11.fi.w", 1536), ("l5.fo.w", 384)):
        expected = dequantise_q4(model.tensors[name]).reshape(rows, -1).T
        assert np.array_equal(e5_numpy._matrix(model.tensors, name, rows), expected)


def test_a_layers_halves_add_up_to_its_whole_products(model: E5File) -> None:
    layer = e5_numpy.build_layer(model.tensors, 3, 384, 12)
    x = np.random.default_rng(0).standard_normal((5, 384)).astype(np.float32)
    t = model.tensors
    query = x @ e5_numpy._matrix(t, "l3.q.w", 384) + t["l3.q.b"]
    value = x @ e5_numpy._matrix(t, "l3.v.w", 384) + t["l3.v.b"]
    first, second = (x @ h.qkv_w + h.qkv_b for h in layer.attention)
    assert np.allclose(np.hstack([first[:, :192], second[:, :192]]), query / np.sqrt(32), atol=1e-4)
    assert np.allclose(np.hstack([first[:, 384:], second[:, 384:]]), value, atol=1e-4)
    whole = e5_numpy.gelu(x @ e5_numpy._matrix(t, "l3.fi.w", 1536) + t["l3.fi.b"])
    whole = e5_numpy.int8_round_trip(whole) @ e5_numpy._matrix(t, "l3.fo.w", 384)
    halves = sum(e5_numpy.feed_forward_half(x, h) for h in layer.feed_forward)
    assert np.allclose(halves, whole, atol=1e-3)


def test_two_threads_and_one_give_the_same_vector_bit_for_bit(encoder: QueryEncoder) -> None:
    text = "What did Wang Yi say about the crisis in Ukraine?"
    with encoder.blas:
        serial = encoder.model.query(text, run_serially)
        paired = encoder.model.query(text, PairRunner().pair)
    assert serial is not None and np.array_equal(serial, paired)


def test_the_helper_runs_the_second_half_while_the_caller_runs_the_first() -> None:
    second_started = threading.Event()
    ran_in: list[str] = []

    def first() -> str:
        assert second_started.wait(timeout=60), "the helper never started"
        return "a"

    def second() -> str:
        ran_in.append(threading.current_thread().name)
        second_started.set()
        return "b"

    assert PairRunner().pair(first, second) == ("a", "b")
    assert ran_in == ["e5-numpy-half"]


def test_without_a_free_helper_the_caller_runs_both_halves(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = PairRunner()
    monkeypatch.setattr(runner, "_start_helper", lambda: None)  # as in a forked child
    ran_in: list[str] = []
    result = runner.pair(lambda: 1, lambda: ran_in.append(threading.current_thread().name) or 2)
    assert result == (1, 2) and ran_in == [threading.current_thread().name]


def test_an_error_in_either_half_is_raised_to_the_caller_and_the_runner_goes_on() -> None:
    runner = PairRunner()

    def boom() -> int:
        raise ValueError("half failed")

    with pytest.raises(ValueError, match="half failed"):
        runner.pair(lambda: 1, boom)
    with pytest.raises(ValueError, match="half failed"):
        runner.pair(boom, lambda: 2)
    assert runner.pair(lambda: 1, lambda: 2) == (1, 2)


def test_the_pieces_are_each_pieces_own_utf8(model: E5File) -> None:
    with bundled_model_file().open("rb") as handle:
        data = handle.read()
    blob = "".join(model.pieces).encode("utf-8")
    assert blob in data  # the file's blob, cut where the pieces say
    assert len(model.pieces) == 250_002 and model.pieces[model.specials["unk"]] == "<unk>"
    assert sum(len(p.encode("utf-8")) for p in model.pieces) == len(blob)


def test_gelu_matches_the_exact_erf_form() -> None:
    from math import erf, sqrt

    x = np.linspace(-8, 8, 2001, dtype=np.float32)
    exact = np.array([0.5 * v * (1 + erf(v / sqrt(2))) for v in x.tolist()])
    assert np.abs(e5_numpy.gelu(x) - exact).max() < 1e-5


def test_opening_an_index_for_reading_prepares_the_query_encoder_and_ingest_does_not(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from assistant.index import open_index

    prepared: list[bool] = []
    monkeypatch.setattr(E5EngineEmbedder, "prepare_queries", lambda self: prepared.append(True))
    embedder = E5EngineEmbedder.load()
    e5 = settings.model_copy(update={"embedder": "e5-engine"})
    open_index(e5, embedder, create=True)  # as ingest opens it
    assert prepared == []
    open_index(e5, embedder)
    assert prepared == [True]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_setting_decides_who_embeds_questions(enabled: bool) -> None:
    from vectorstore.embedders import make_embedder

    embedder = make_embedder(Settings(embedder="e5-engine", e5_numpy_queries=enabled))
    assert isinstance(embedder, E5EngineEmbedder) and embedder.numpy_queries is enabled
    text = "What did Wang Yi say about Ukraine?"
    engine_vector = load_engine().query(text)
    assert np.array_equal(embedder.embed_query(text), engine_vector) is not enabled
