"""Re-ingesting a changed article embeds only what changed (issue 13: with the e5 engine a
chunk costs ~1 CPU-s, its sentences' vectors included).

Real Chroma in ``tmp_path``, the real splitter, sentence cache and preparation worker; the
only stand-in is at the model boundary: the hashing embedder behind a wrapper that records
every text it is asked to embed, under an id of its own (a model that "reads words", so
ingest also caches sentence vectors, as with e5). An index updated around an edit must be
the index a fresh ingest of the edited files builds: same ids, offsets, vectors, sentence
vectors and answers.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant import ingest as ingest_module
from assistant.index import Index, open_index
from assistant.ingest import IngestReport, ingest
from assistant.models import Chunk
from assistant.sentence_vectors import indexed_sentences, sentence_cache
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import ARTICLE_NAMES, copy_e5_store
from tests.test_ingest import SimulatedCrash, crash_on_call
from vectorstore.chroma_store import ChromaStore
from vectorstore.embedders import Embedder, HashingEmbedder, make_embedder

EDITED = ARTICLE_NAMES[2]  # 002_…: a five-chunk article
QUESTIONS = (
    "ماذا قال لافروف عن أمن أوراسيا؟",
    "What did Wang Yi say about Ukraine?",
    "متى زار الرئيس الصيني موسكو؟",
)


class CountingEmbedder:
    """A real model recording each text it embeds (the model boundary): by default the
    hashing model under an id of its own (not "hashing…", so ingest caches sentence vectors
    as it does for e5); a given ``inner`` model keeps its id (and so its stored index)."""

    def __init__(self, inner: Embedder | None = None) -> None:
        self.inner = inner or HashingEmbedder()
        self.id = self.inner.id if inner else f"counted-{self.inner.id}"
        self.dim = self.inner.dim
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def take(self) -> Counter[str]:
        """The texts embedded since the last call, with their counts."""
        taken, self.embedded = Counter(self.embedded), []
        return taken


def _edit_one_sentence(folder: Path, line_number: int = 3) -> None:
    """Insert one word into the first sentence of one body line of ``EDITED``."""
    path = folder / EDITED
    text = path.read_text(encoding="utf-8")
    line = text.splitlines()[line_number]
    words = line.split(" ")
    path.write_text(text.replace(line, " ".join([*words[:3], "(محدث)", *words[3:]]), 1), encoding="utf-8")


def _chunks(index: Index) -> dict[str, Chunk]:
    assert index.store is not None
    return {c.chunk_id: c for c in index.store.all_chunks()}


def _snapshot(index: Index) -> tuple[dict, dict, dict]:
    """Everything an index holds: each chunk's stored metadata and vector, the manifest, and
    the sentence vectors cached beside it."""
    assert index.store is not None
    got = index.store.collection.get(include=["metadatas", "embeddings"])
    chunks = {i: (m, np.asarray(v)) for i, m, v in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True)}
    cache = sentence_cache(index.settings, index)
    assert cache is not None and cache.path is not None
    with np.load(cache.path, allow_pickle=False) as saved:
        sentences = {str(k): np.asarray(v) for k, v in zip(saved["keys"], saved["vectors"], strict=True)}
    return chunks, index.manifest.files, sentences


def _assert_same_index(updated: Index, fresh: Index) -> None:
    """Same ids, metadata (offsets, text) and vectors, manifest and sentence vectors."""
    (chunks, manifest, sentences), (chunks_0, manifest_0, sentences_0) = _snapshot(updated), _snapshot(fresh)
    assert chunks.keys() == chunks_0.keys()
    for chunk_id, (meta, vector) in chunks.items():
        assert meta == chunks_0[chunk_id][0], chunk_id
        assert np.array_equal(vector, chunks_0[chunk_id][1]), chunk_id
    assert manifest == manifest_0
    assert sentences.keys() == sentences_0.keys()
    assert all(np.array_equal(vector, sentences_0[key]) for key, vector in sentences.items())


def _answers(settings: Settings, index: Index) -> list[tuple]:
    """What the offline assistant answers over ``index``: text, citations, retrieved ids."""
    assistant = Assistant(settings, index, llm=None)
    answers = [assistant.ask(question) for question in QUESTIONS]
    return [(a.text, a.citations, [(r.chunk.chunk_id, r.score) for r in a.retrieved]) for a in answers]


def _fresh(settings: Settings, tmp_path: Path) -> tuple[Settings, Index]:
    """The same files ingested into a new store by a new counting model."""
    fresh = settings.model_copy(update={"store_dir": tmp_path / "fresh-store"})
    model = CountingEmbedder()
    ingest(fresh, embedder=model)
    return fresh, open_index(fresh, embedder=model)


Held = tuple[dict[str, Chunk], set[str]]  # an index's chunks by id and its quotable sentences


def _held(index: Index) -> Held:
    """What ``index`` holds now (read before the next ingest changes the store under it)."""
    return _chunks(index), set(indexed_sentences(index))


def _new_texts(before: Held, after: Index) -> tuple[list[str], list[str]]:
    """Texts of the chunks and of the quotable sentences ``after`` holds and ``before`` did not."""
    chunks_after = _chunks(after)
    new_chunks = [c.text for i, c in chunks_after.items() if i not in before[0]]
    return new_chunks, sorted(set(indexed_sentences(after)) - before[1])


def _reingest_after_edit(settings: Settings) -> tuple[CountingEmbedder, Held, IngestReport, Index]:
    """Ingest, edit one sentence, re-ingest: (model, what the index held before, report, index after)."""
    model = CountingEmbedder()
    ingest(settings, embedder=model)
    before = _held(open_index(settings, embedder=model))
    model.take()
    _edit_one_sentence(settings.data_dir)
    report = ingest(settings, embedder=model)
    return model, before, report, open_index(settings, embedder=model)


def test_reingesting_an_article_with_one_changed_sentence_embeds_only_its_new_chunks_and_sentences(
    settings: Settings,
) -> None:
    model = CountingEmbedder()
    first = ingest(settings, embedder=model)
    chunks_before, sentences_before = _held(open_index(settings, embedder=model))
    assert first.embedded == first.chunks == len(chunks_before)
    model.take()
    _edit_one_sentence(settings.data_dir)

    report = ingest(settings, embedder=model)

    after = open_index(settings, embedder=model)
    chunks_after = _chunks(after)
    new_chunks = [c.text for i, c in chunks_after.items() if i not in chunks_before]
    new_sentences = set(indexed_sentences(after)) - sentences_before
    article = [c for c in chunks_after.values() if c.source == EDITED]
    assert 0 < len(new_chunks) < len(article), "the edit changes some of the article's chunks, not all"
    assert len(new_sentences) == 1
    assert model.take() == Counter(new_chunks) + Counter(new_sentences)
    assert report.updated == [EDITED]
    assert (report.embedded, report.sentence_vectors) == (len(new_chunks), 1)
    assert f"{report.chunks} chunks in the index ({len(new_chunks)} embedded); 1 sentence vectors cached" in (
        report.summary()
    )


def test_an_index_updated_around_an_edit_equals_a_fresh_ingest_of_the_edited_files(
    settings: Settings, tmp_path: Path
) -> None:
    _, _, _, updated = _reingest_after_edit(settings)
    fresh_settings, fresh = _fresh(settings, tmp_path)
    _assert_same_index(updated, fresh)
    assert _answers(settings, updated) == _answers(fresh_settings, fresh)


def test_a_reingest_of_unchanged_files_embeds_nothing(settings: Settings) -> None:
    model = CountingEmbedder()
    ingest(settings, embedder=model)
    model.take()
    report = ingest(settings, embedder=model)
    assert model.take() == Counter()
    assert (report.embedded, report.sentence_vectors) == (0, 0)
    assert "embedded" not in report.summary()


@pytest.fixture
def via_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every ingest through the preparation worker process: groups of 1, 2 and 2 files."""
    monkeypatch.setattr(ingest_module, "GROUP_FILES", 2)
    monkeypatch.setattr(ingest_module, "FIRST_GROUP_FILES", 1)
    monkeypatch.setattr(ingest_module, "PROCESS_MIN_FILES", 1)


def test_through_the_worker_a_model_kept_in_this_process_embeds_only_the_new_chunks(
    settings: Settings, tmp_path: Path, via_worker: None
) -> None:
    """A neural model stays in this process and embeds what the worker prepared: only the
    chunks the store lacks, with the index the inline path builds."""
    model, before, report, updated = _reingest_after_edit(settings)
    new_chunks, new_sentences = _new_texts(before, updated)
    assert "prepare_wait" in report.timings, "prepared by the worker"
    assert "embed" not in report.overlapped, "embedded here, in the foreground"
    assert new_chunks and model.take() == Counter(new_chunks) + Counter(new_sentences)
    assert report.embedded == len(new_chunks)
    _assert_same_index(updated, _fresh(settings, tmp_path)[1])


def test_through_the_worker_the_hashing_model_embeds_only_the_new_chunks_there(
    settings: Settings, tmp_path: Path, via_worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hashing model is sent to the worker and embeds there, against the stored ids it
    was sent: the report counts what it embedded and Chroma receives vectors for those only."""
    ingest(settings)
    before = _chunks(open_index(settings))
    _edit_one_sentence(settings.data_dir)
    upserted: list[str] = []
    real_upsert = ChromaStore.upsert

    def recording_upsert(store: ChromaStore, chunks: list[Chunk], vectors: np.ndarray) -> None:
        upserted.extend(c.chunk_id for c in chunks)
        real_upsert(store, chunks, vectors)

    monkeypatch.setattr(ChromaStore, "upsert", recording_upsert)
    report = ingest(settings)
    index = open_index(settings)
    new = sorted(set(_chunks(index)) - set(before))
    assert new and report.embedded == len(new) and sorted(upserted) == new
    fresh = settings.model_copy(update={"store_dir": tmp_path / "fresh-store"})
    ingest(fresh)
    got = index.store.collection.get(include=["embeddings", "metadatas"])  # type: ignore[union-attr]
    expected = open_index(fresh).store.collection.get(include=["embeddings", "metadatas"])  # type: ignore[union-attr]
    order, order_0 = np.argsort(got["ids"]), np.argsort(expected["ids"])
    assert [got["ids"][i] for i in order] == [expected["ids"][i] for i in order_0]
    assert [got["metadatas"][i] for i in order] == [expected["metadatas"][i] for i in order_0]
    assert np.array_equal(np.asarray(got["embeddings"])[order], np.asarray(expected["embeddings"])[order_0])


def test_a_reingest_that_crashed_after_writing_new_chunks_reuses_them_when_repaired(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after Chroma took the edited article's new chunks but before the manifest
    recorded them: the repairing run finds them stored and embeds no chunk again (their ids
    are their texts), only the sentence the crash left uncached."""
    model = CountingEmbedder()
    ingest(settings, embedder=model)
    before = _held(open_index(settings, embedder=model))
    model.take()
    _edit_one_sentence(settings.data_dir)
    with monkeypatch.context() as patch:
        crash_on_call(patch, ChromaStore, "delete", 1)  # of the stale chunks, after the write
        with pytest.raises(SimulatedCrash):
            ingest(settings, embedder=model)
    crashed = model.take()

    report = ingest(settings, embedder=model)

    assert report.repaired == [EDITED] and report.embedded == 0
    repaired = open_index(settings, embedder=model)
    new_chunks, new_sentences = _new_texts(before, repaired)
    assert new_chunks and crashed == Counter(new_chunks), "the crashed run embedded the new chunks"
    assert model.take() == Counter(new_sentences)
    _assert_same_index(repaired, _fresh(settings, tmp_path)[1])


def test_a_rebuild_embeds_every_chunk_again(settings: Settings) -> None:
    """``ingest --rebuild`` drops the collection first: nothing is stored, so nothing is reused."""
    model = CountingEmbedder()
    first = ingest(settings, embedder=model)
    model.take()
    report = ingest(settings, embedder=model, rebuild=True)
    chunks = _chunks(open_index(settings, embedder=model))
    assert report.embedded == report.chunks == first.chunks == len(chunks)
    assert Counter(c.text for c in chunks.values()) <= model.take()


@pytest.mark.slow
def test_with_the_e5_engine_an_edit_embeds_only_its_new_chunks_and_sentence_and_keeps_the_other_vectors(
    settings: Settings, e5_template: Path
) -> None:
    """The bundled articles indexed by e5 (the shared template), one sentence edited: the
    engine embeds the new chunks and the new sentence only (~1 CPU-s instead of the article's
    ~5); the kept chunks keep their stored vectors and the new ones get the engine's."""
    e5_settings = settings.model_copy(update={"embedder": "e5-engine"})
    copy_e5_store(e5_template, e5_settings.store_dir)
    model = CountingEmbedder(make_embedder(e5_settings))
    if not model.id.startswith("e5-engine"):
        pytest.skip(f"the bundled e5 engine is not usable here ({model.id})")
    index = open_index(e5_settings, embedder=model)
    before = _held(index)
    vectors_before = _vectors(index)
    _edit_one_sentence(e5_settings.data_dir)

    report = ingest(e5_settings, embedder=model)

    after = open_index(e5_settings, embedder=model)
    new_chunks, new_sentences = _new_texts(before, after)
    assert new_chunks and len(new_sentences) == 1
    assert model.take() == Counter(new_chunks) + Counter(new_sentences)
    assert (report.embedded, report.sentence_vectors) == (len(new_chunks), 1)
    vectors_after, chunks_after = _vectors(after), _chunks(after)
    for chunk_id, vector in vectors_after.items():
        if chunk_id in vectors_before:
            assert np.array_equal(vector, vectors_before[chunk_id])
        else:
            engine = model.inner.embed_documents([chunks_after[chunk_id].text])[0]
            assert np.allclose(vector, engine, atol=1e-5)


def _vectors(index: Index) -> dict[str, np.ndarray]:
    """Every stored vector by chunk id."""
    assert index.store is not None
    got = index.store.collection.get(include=["embeddings"])
    return {i: np.asarray(v) for i, v in zip(got["ids"], got["embeddings"], strict=True)}


@pytest.mark.parametrize("through_worker", [False, True])
def test_a_renamed_article_reuses_its_stored_vectors_and_embeds_nothing(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, through_worker: bool
) -> None:
    """A file's name is in its chunk ids, so a renamed file has new ids but the same texts:
    their vectors are read back from Chroma before the old name's chunks are removed."""
    if through_worker:
        for name, value in (("GROUP_FILES", 2), ("FIRST_GROUP_FILES", 1), ("PROCESS_MIN_FILES", 1)):
            monkeypatch.setattr(ingest_module, name, value)
    model = CountingEmbedder()
    ingest(settings, embedder=model)
    model.take()
    (settings.data_dir / EDITED).rename(settings.data_dir / "renamed.txt")

    report = ingest(settings, embedder=model)

    assert (report.added, report.removed) == (["renamed.txt"], [EDITED])
    assert model.take() == Counter() and report.embedded == 0
    _assert_same_index(open_index(settings, embedder=model), _fresh(settings, tmp_path)[1])


def test_an_article_filed_twice_embeds_each_text_once(settings: Settings) -> None:
    """Two files with the same text (a wire story filed twice) get their own chunk ids and
    the same vectors, computed once."""
    (settings.data_dir / "copy.txt").write_bytes((settings.data_dir / EDITED).read_bytes())
    model = CountingEmbedder()

    report = ingest(settings, embedder=model)

    index = open_index(settings, embedder=model)
    chunks = _chunks(index)
    texts = {c.text for c in chunks.values()}
    assert len(texts) < len(chunks) == report.chunks
    assert model.take() == Counter(texts) + Counter(set(indexed_sentences(index)))
    assert report.embedded == len(texts)
    vectors = _vectors(index)
    copies = sorted((c.position, i) for i, c in chunks.items() if c.source == "copy.txt")
    originals = sorted((c.position, i) for i, c in chunks.items() if c.source == EDITED)
    assert len(copies) == len(originals) > 1
    for (_, copy_id), (_, original_id) in zip(copies, originals, strict=True):
        assert np.array_equal(vectors[copy_id], vectors[original_id])


def test_on_a_chroma_server_an_edit_and_a_rename_embed_only_the_new_text(server_settings: Settings) -> None:
    """The same through a real Chroma server (its HTTP API answers the stored-text lookup):
    an edited sentence embeds its new chunks and sentence, a renamed file nothing."""
    model, before, edited, after = _reingest_after_edit(server_settings)
    new_chunks, new_sentences = _new_texts(before, after)
    assert new_chunks and model.take() == Counter(new_chunks) + Counter(new_sentences)
    assert edited.embedded == len(new_chunks)
    (server_settings.data_dir / EDITED).rename(server_settings.data_dir / "renamed.txt")
    renamed = ingest(server_settings, embedder=model)
    assert (renamed.added, renamed.removed, renamed.embedded) == (["renamed.txt"], [EDITED], 0)
    assert model.take() == Counter()
