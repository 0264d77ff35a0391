"""Embedders: the weight-free hashing embedder, the fast offline fallback decision (to the
bundled e5 engine), and the sentence-transformers path with a tiny model built locally (no
hub, no downloads). The e5 engine itself is tested in test_e5_engine.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.settings import PROJECT_ROOT, Settings
from vectorstore import embedders
from vectorstore.e5_engine import E5EngineEmbedder
from vectorstore.embedders import HashingEmbedder, make_embedder, model_source

HUB_MODEL = "intfloat/multilingual-e5-small"


@pytest.fixture
def empty_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache, so no model of the developer's machine is found."""
    cache = tmp_path / "hf-hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return cache


@pytest.fixture
def hub_unreachable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reachability check answers "no" at once and records what it was asked."""
    from assistant import netcheck

    asked: list[str] = []
    monkeypatch.setattr(
        netcheck, "reachable", lambda url, timeout_s=1.5: asked.append(url) or False
    )
    return asked


# --- hashing ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "ق", "قال وانغ يي", "Wang Yi said", "وزير الخارجية " * 200])
def test_hashing_vectors_are_deterministic_unit_length_or_zero_for_empty_text(text: str) -> None:
    embedder = HashingEmbedder()
    vector = embedder.embed_query(text)
    assert vector.shape == (512,) and vector.dtype == np.float32
    assert np.array_equal(vector, HashingEmbedder().embed_query(text))
    assert np.isclose(np.linalg.norm(vector), 0.0 if not text else 1.0, atol=1e-5)


@pytest.mark.parametrize("dim", [8, 64, 512])
def test_the_hashing_id_names_its_dimension(dim: int) -> None:
    embedder = HashingEmbedder(dim)
    assert embedder.id == f"hashing-ngram-v1-{dim}"
    assert embedder.embed_documents(["أ", "ب"]).shape == (2, dim)
    assert embedder.embed_documents([]).shape == (0, dim)


def test_diacritics_and_tatweel_do_not_change_a_hashing_vector() -> None:
    embedder = HashingEmbedder()
    assert np.array_equal(
        embedder.embed_query("ماذا قالَ وانـــغ يي عَنْ أوكرانيا؟"),
        embedder.embed_query("ماذا قال وانغ يي عن أوكرانيا؟"),
    )


def test_a_hashing_query_is_nearest_to_the_passage_sharing_its_words() -> None:
    embedder = HashingEmbedder()
    passages = [
        "أشاد الجانبان بتطور منظمة شانجهاي للتعاون وتعهدا بالعمل معا",
        "قال وانغ إن الصين ستواصل اتخاذ موقف مستقل وعادل من الأزمة في أوكرانيا",
        "فرضت الدول الغربية عقوبات على روسيا بعد الغزو",
    ]
    scores = embedder.embed_documents(passages) @ embedder.embed_query("منظمة شنغهاي للتعاون")
    assert int(np.argmax(scores)) == 0


def test_hashing_vectors_are_the_same_in_another_process() -> None:
    script = (
        "import json; from vectorstore.embedders import HashingEmbedder; "
        "print(json.dumps(HashingEmbedder().embed_query('قال لافروف في بكين').tolist()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "999", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    other = np.array(json.loads(done.stdout), dtype=np.float32)
    assert np.allclose(other, HashingEmbedder().embed_query("قال لافروف في بكين"))


# --- choosing an embedder without waiting ----------------------------------------------


@pytest.mark.parametrize("name", ["hashing", "HASH", " offline ", "none", ""])
def test_the_hashing_aliases_choose_hashing_without_a_fallback_note(
    name: str, fallback_notes: list[str]
) -> None:
    assert isinstance(make_embedder(Settings(embedder=name)), HashingEmbedder)
    assert fallback_notes == []


@pytest.mark.parametrize(
    ("env", "allow_downloads", "reason"),
    [
        ({"HF_HUB_OFFLINE": "1"}, True, "HF_HUB_OFFLINE is set"),
        ({"HF_HUB_OFFLINE": "true"}, True, "HF_HUB_OFFLINE is set"),
        ({}, False, "downloads are off"),
        ({}, True, "cannot be reached"),
    ],
    ids=["hf-offline", "hf-offline-true", "downloads-off", "hub-unreachable"],
)
def test_an_uncached_hub_model_falls_back_to_the_e5_engine_without_trying_the_hub_with_the_reason_recorded(
    monkeypatch: pytest.MonkeyPatch,
    empty_hf_cache: Path,
    hub_unreachable: list[str],
    fallback_notes: list[str],
    env: dict[str, str],
    allow_downloads: bool,
    reason: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    loads: list[tuple[object, ...]] = []  # the hub load: ~70 s of retries when offline
    monkeypatch.setattr(embedders, "load_sentence_transformer", lambda *args: loads.append(args))
    embedder = make_embedder(Settings(embedder=HUB_MODEL, allow_downloads=allow_downloads))
    # "without waiting", checked by what was tried rather than by a clock: no model load,
    # and at most the one short reachability check (only when downloads are allowed).
    assert loads == [] and len(hub_unreachable) == (reason == "cannot be reached")
    assert isinstance(embedder, E5EngineEmbedder)
    assert embedder.id == "e5-engine-multilingual-e5-small-q4-384"
    assert len(fallback_notes) == 1
    assert HUB_MODEL in fallback_notes[0] and reason in fallback_notes[0]


def test_a_fallback_reason_is_recorded_once_however_often_it_happens(
    monkeypatch: pytest.MonkeyPatch, empty_hf_cache: Path, fallback_notes: list[str]
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for _ in range(3):
        make_embedder(Settings(embedder=HUB_MODEL))
    assert len(fallback_notes) == 1


def test_a_missing_model_folder_falls_back_naming_the_folder(
    tmp_path: Path, fallback_notes: list[str]
) -> None:
    folder = tmp_path / "models" / "absent-model"
    assert isinstance(make_embedder(Settings(embedder=str(folder))), E5EngineEmbedder)
    assert fallback_notes == [f"model folder {folder} does not exist"]


def test_a_loader_error_spanning_lines_is_recorded_as_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fallback_notes: list[str]
) -> None:
    def fail(path: str, local_only: bool) -> None:
        raise OSError(
            "We couldn't connect to 'https://huggingface.co'.\nCheck your internet connection"
        )

    monkeypatch.setattr(embedders, "load_sentence_transformer", fail)
    assert isinstance(make_embedder(Settings(embedder=str(tmp_path))), E5EngineEmbedder)
    assert fallback_notes == [
        f"{tmp_path} could not be loaded (OSError: We couldn't connect to 'https://huggingface.co'. "
        "Check your internet connection)"
    ]


@pytest.mark.parametrize(
    ("name", "offline", "expected"),
    [
        ("org/model", False, ("org/model", False)),
        ("org/model", True, "not in the Hugging Face cache"),
        ("/no/such/folder", False, "does not exist"),
        ("relative/dir/model", False, "does not exist"),
    ],
)
def test_the_model_source_is_a_folder_the_cache_the_hub_or_a_reason(
    monkeypatch: pytest.MonkeyPatch,
    empty_hf_cache: Path,
    name: str,
    offline: bool,
    expected: tuple[str, bool] | str,
) -> None:
    from assistant import netcheck

    monkeypatch.setattr(netcheck, "reachable", lambda url, timeout_s=1.5: True)
    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    source = model_source(name, allow_downloads=True)
    if isinstance(expected, tuple):
        assert source == expected
    else:
        assert isinstance(source, str) and expected in source


# --- the sentence-transformers path (tiny local model) ---------------------------------


def _e5_named_copy(tiny_st_model: Path, parent: Path, name: str) -> Path:
    folder = parent / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(tiny_st_model, folder)
    return folder


@pytest.mark.slow
def test_a_local_model_folder_loads_as_a_sentence_transformer_embedder(
    tiny_st_model: Path, fallback_notes: list[str]
) -> None:
    embedder = make_embedder(Settings(embedder=str(tiny_st_model)))
    assert isinstance(embedder, embedders.SentenceTransformerEmbedder)
    assert (embedder.dim, embedder.id) == (64, "st-tiny-arabic-bert-64")
    docs = embedder.embed_documents(["قال وانغ يي", "منظمة شنغهاي للتعاون"])
    assert docs.shape == (2, 64)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_query("قال وانغ يي").shape == (64,)
    assert fallback_notes == []


@pytest.mark.slow
def test_an_e5_named_model_gets_query_and_passage_prefixes(
    tiny_st_model: Path, tmp_path: Path
) -> None:
    folder = _e5_named_copy(tiny_st_model, tmp_path, "multilingual-e5-tiny")
    embedder = make_embedder(Settings(embedder=str(folder)))
    assert isinstance(embedder, embedders.SentenceTransformerEmbedder)
    model = embedder.model
    text = "ماذا قال وانغ يي عن أوكرانيا؟"

    def encode(s: str) -> np.ndarray:
        return model.encode([s], normalize_embeddings=True, convert_to_numpy=True)[0]

    assert np.allclose(embedder.embed_query(text), encode(f"query: {text}"), atol=1e-5)
    assert np.allclose(embedder.embed_documents([text])[0], encode(f"passage: {text}"), atol=1e-5)
    assert not np.allclose(embedder.embed_query(text), encode(text), atol=1e-3)


@pytest.mark.slow
def test_a_model_is_not_taken_for_e5_because_a_parent_folder_contains_e5(
    tiny_st_model: Path, tmp_path: Path
) -> None:
    folder = _e5_named_copy(tiny_st_model, tmp_path / "joe5" / "models", "tiny-bert")
    embedder = make_embedder(Settings(embedder=str(folder)))
    text = "ماذا قال وانغ يي عن أوكرانيا؟"
    expected = embedder.model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]
    assert np.allclose(embedder.embed_query(text), expected, atol=1e-5)


@pytest.mark.slow
def test_a_hub_name_found_in_the_hf_cache_loads_offline_from_it(
    tiny_st_model: Path,
    empty_hf_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    fallback_notes: list[str],
) -> None:
    from huggingface_hub import constants

    # huggingface_hub read the cache location at import (this session built a model before);
    # a real run sets the variable before starting, so point the imported constant there too.
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(empty_hf_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = empty_hf_cache / "models--test-org--tiny-e5-arabic"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    shutil.copytree(tiny_st_model, repo / "snapshots" / commit)
    loads: list[tuple[str, bool]] = []
    real_load = embedders.load_sentence_transformer
    monkeypatch.setattr(
        embedders, "load_sentence_transformer", lambda *args: loads.append(args) or real_load(*args)
    )
    embedder = make_embedder(Settings(embedder="test-org/tiny-e5-arabic", allow_downloads=False))
    assert loads == [("test-org/tiny-e5-arabic", True)]  # from the cache, local files only
    assert isinstance(embedder, embedders.SentenceTransformerEmbedder)
    assert embedder.id == "st-test-org-tiny-e5-arabic-64"
    assert embedder._e5
    assert fallback_notes == []


@pytest.mark.slow
def test_a_broken_model_folder_falls_back_to_the_e5_engine_with_the_error_recorded(
    tmp_path: Path, fallback_notes: list[str]
) -> None:
    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    assert isinstance(make_embedder(Settings(embedder=str(folder))), E5EngineEmbedder)
    assert len(fallback_notes) == 1
    assert str(folder) in fallback_notes[0] and "could not be loaded" in fallback_notes[0]
    assert "\n" not in fallback_notes[0]


@pytest.mark.slow
def test_ingest_and_ask_work_with_the_model_in_a_collection_apart_from_hashing(
    settings: Settings, tiny_st_model: Path
) -> None:
    from assistant.index import open_index
    from assistant.ingest import ingest
    from assistant.service import Assistant

    model_settings = settings.model_copy(update={"embedder": str(tiny_st_model)})
    hashing_report = ingest(settings)
    model_report = ingest(model_settings)
    assert len(hashing_report.added) == len(model_report.added) == 5

    hashing, model = open_index(settings), open_index(model_settings)
    assert hashing.name == "articles-hashing-ngram-v1-512"
    assert model.name == "articles-st-tiny-arabic-bert-64"
    assert hashing.store is not None and model.store is not None
    assert hashing.store.collection.metadata["embedder"] == "hashing-ngram-v1-512"
    assert model.store.collection.metadata["embedder"] == "st-tiny-arabic-bert-64"
    assert hashing.store.count() == model.store.count() == model_report.chunks
    one = model.store.collection.get(limit=1, include=["embeddings"])["embeddings"]
    assert len(one[0]) == 64
    assert model.manifest.path != hashing.manifest.path

    assert ingest(settings).unchanged == sorted(hashing.manifest.files)
    assert ingest(model_settings).unchanged == sorted(model.manifest.files)

    answer = Assistant(model_settings, model).ask("ماذا قال وانغ يي عن أوكرانيا؟")
    assert answer.mode.embedder == "st-tiny-arabic-bert-64"
    assert answer.retrieved and len({r.chunk.chunk_id for r in answer.retrieved}) == len(
        answer.retrieved
    )
    for citation in answer.citations:
        text = (settings.data_dir / citation.source).read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.quote
