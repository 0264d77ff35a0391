"""The per-index caches of the retrieval hot path never serve what the index no longer holds.

``ChromaStore.get`` keeps chunks' stored metadata in memory. A chunk's id is a hash of its
file, text and occurrence, so an article edited *around* a chunk (a paragraph added before
it) keeps the chunk's id but moves its offsets: a cache that outlived the ingest would quote
the wrong span. A small collection's vectors are kept for an exact in-memory search, which
must rank as Chroma does and see every later write. Real Chroma in ``tmp_path``; the speaker and sentence caches are keyed by
the text itself and need no invalidation (checked against the uncached functions).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.arabic import analyse
from assistant.index import open_index
from assistant.ingest import ingest
from assistant.models import Chunk, Span
from assistant.retrieval import sentence_terms, sentence_texts
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.speakers import _attribution, _normalized_sentence, attributed_speaker, normalize
from assistant.splitter import sentence_spans
from tests.helpers_chroma import instance
from vectorstore import chroma_store
from vectorstore.chroma_store import make_client, open_store

DIM = 8
PLANTED = "وقال المتحدث باسم الوزارة إن فريق الشطرنج البطريقي في أنتاركتيكا فاز بالبطولة القارية."
QUESTION = "ما الفريق الذي فاز بالبطولة القارية للشطرنج؟"
PREFACE = "فقرة تمهيدية جديدة أضيفت في رأس المقال عن أحوال الطقس في المدينة خلال الأسبوع الماضي."


def _store(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(store_dir=tmp_path / "store", embedder="hashing", chroma_host=None)
    return open_store(make_client(settings), "cache-test", "fake-8", DIM, create=True)


def _chunk(start: int, text: str = "نص المقطع") -> Chunk:
    return Chunk("c1", "a.txt", text, start, start + len(text))


def test_a_chunk_upserted_again_with_new_offsets_is_read_with_the_new_offsets(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    vector = np.ones((1, DIM), np.float32)
    store.upsert([_chunk(0)], vector)
    assert store.get(["c1"])["c1"].start == 0
    store.upsert([_chunk(40)], vector)
    assert store.get(["c1"])["c1"].start == 40


def test_a_stored_chunk_written_again_with_new_offsets_only_is_read_with_the_new_offsets(
    tmp_path: Path,
) -> None:
    """``write`` sends a stored id's moved offsets by a metadata update, no vector: what
    ``get`` kept of it must not outlive that update (no delete follows to forget it)."""
    store = _store(tmp_path)
    vector = np.ones((1, DIM), np.float32)
    store.upsert([_chunk(0)], vector)
    assert store.get(["c1"])["c1"].start == 0
    store.write([_chunk(40)], np.zeros((0, DIM), np.float32), stored={"c1"})  # no vector for a stored id
    assert store.get(["c1"])["c1"].start == 40


def test_a_chunk_deleted_is_no_longer_returned(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.upsert([_chunk(0)], np.ones((1, DIM), np.float32))
    assert list(store.get(["c1"])) == ["c1"]
    store.delete(["c1"])
    assert store.get(["c1"]) == {}


def test_another_writer_is_seen_once_the_cache_is_forgotten_and_not_before(tmp_path: Path) -> None:
    """What ``Index.sync`` relies on: another object's write is invisible to the cache until
    ``forget_cached``, which is called when the version stamp moved."""
    reader, writer = _store(tmp_path), _store(tmp_path)
    writer.upsert([_chunk(0)], np.ones((1, DIM), np.float32))
    assert reader.get(["c1"])["c1"].start == 0
    writer.upsert([_chunk(40)], np.ones((1, DIM), np.float32))
    assert reader.get(["c1"])["c1"].start == 0, "the cache answers (this is what it saves)"
    reader.forget_cached()
    assert reader.get(["c1"])["c1"].start == 40


def test_the_cache_keeps_at_most_its_bound_and_reads_evicted_chunks_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chroma_store, "CACHED_CHUNKS", 2)
    store = _store(tmp_path)
    chunks = [Chunk(f"c{i}", "a.txt", f"نص {i}", i * 10, i * 10 + 4) for i in range(4)]
    store.upsert(chunks, np.ones((4, DIM), np.float32))
    got = store.get([c.chunk_id for c in chunks])
    assert [c.start for c in got.values()] == [0, 10, 20, 30]
    assert len(store._cached) == 2
    assert store.get(["c0", "c3", "missing"]) == {"c0": chunks[0], "c3": chunks[3]}


def test_article_fields_changed_in_the_manifest_reach_cached_chunks(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.upsert([_chunk(0)], np.ones((1, DIM), np.float32))
    store.articles = {"a.txt": {"title": "قديم"}}
    assert store.get(["c1"])["c1"].title == "قديم"
    store.articles = {"a.txt": {"title": "جديد"}}
    assert store.get(["c1"])["c1"].title == "جديد"


def _assert_chunks_match_files(assistant: Assistant, question: str) -> dict[str, int]:
    """Every retrieved chunk is the very text of its file at its offsets; id → start."""
    answer = assistant.ask(question)
    assert answer.retrieved
    data = assistant.settings.data_dir
    for item in answer.retrieved:
        chunk = item.chunk
        assert (data / chunk.source).read_text(encoding="utf-8")[chunk.start : chunk.end] == chunk.text
    for citation in answer.citations:
        text = (data / citation.source).read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.quote
    return {item.chunk.chunk_id: item.chunk.start for item in answer.retrieved}


def test_an_article_changed_around_a_chunk_and_reingested_is_quoted_at_its_new_offsets(
    settings: Settings,
) -> None:
    article = sorted(settings.data_dir.glob("*.txt"))[2]
    article.write_text(article.read_text(encoding="utf-8") + "\n\n" + PLANTED + "\n", encoding="utf-8")
    ingest(settings)
    assistant = Assistant(settings, open_index(settings), llm=None)
    before = _assert_chunks_match_files(assistant, QUESTION)

    article.write_text(PREFACE + "\n\n" + article.read_text(encoding="utf-8"), encoding="utf-8")
    assert assistant.reindex().updated == [article.name]
    after = _assert_chunks_match_files(assistant, QUESTION)
    moved = [cid for cid in before.keys() & after.keys() if before[cid] != after[cid]]
    assert moved, "no chunk kept its id with new offsets: the test would not see a stale cache"


@pytest.mark.slow
def test_another_instances_ingest_moving_a_chunk_reaches_this_instances_next_question(
    server_settings: Settings, tmp_path: Path
) -> None:
    article = sorted(server_settings.data_dir.glob("*.txt"))[2]
    article.write_text(article.read_text(encoding="utf-8") + "\n\n" + PLANTED + "\n", encoding="utf-8")
    ingest(server_settings)
    b_settings = instance(server_settings, tmp_path / "b")
    b = Assistant(b_settings, open_index(b_settings))
    started = {r.chunk.chunk_id: r.chunk.start for r in b.ask(QUESTION).retrieved}

    article.write_text(PREFACE + "\n\n" + article.read_text(encoding="utf-8"), encoding="utf-8")
    assert ingest(server_settings).updated == [article.name]
    text = article.read_text(encoding="utf-8")
    retrieved = b.ask(QUESTION).retrieved
    for item in retrieved:
        if item.chunk.source == article.name:
            assert text[item.chunk.start : item.chunk.end] == item.chunk.text
    moved = [r for r in retrieved if r.chunk.chunk_id in started and started[r.chunk.chunk_id] != r.chunk.start]
    assert moved, "no retrieved chunk kept its id with new offsets"


@pytest.mark.parametrize(
    "sentence",
    [
        "قال الوزير وانغ يي لنظيره الروسي سيرجي لافروف إن التعاون مهم.",
        'وأضاف: "نحن واثقون".',
        "انتهت الجولة أمس. وقال لافروف إن المحادثات بناءة!",
        "",
    ],
)
def test_the_text_keyed_caches_give_what_the_uncached_functions_give_twice(sentence: str) -> None:
    spans = sentence_spans(sentence, Span(0, len(sentence)), 10**9, len)
    for _ in range(2):  # the second call is served by the cache
        for names in ([], ["wang_yi", "lavrov"]):
            uncached = _attribution.__wrapped__(sentence, tuple(names))
            assert attributed_speaker(sentence, names) == uncached
        assert _normalized_sentence(sentence) == normalize(sentence)
        assert sentence_texts(sentence) == tuple(sentence[s.start : s.end] for s in spans)
        assert sentence_terms(sentence) == frozenset(analyse(sentence))


def _random_store(tmp_path: Path, n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    store = _store(tmp_path)
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    chunks = [Chunk(f"c{i:03d}", "a.txt", f"نص {i}", i, i + 4) for i in range(n)]
    store.upsert(chunks, vectors)
    return store, vectors


def test_a_small_collection_ranked_in_memory_ranks_as_chroma_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = _random_store(tmp_path, 60)
    queries = np.random.default_rng(1).standard_normal((20, DIM)).astype(np.float32)
    exact = [store.query(q, 30) for q in queries]
    assert store._small, "60 chunks are searched in memory"
    monkeypatch.setattr(chroma_store, "EXACT_SEARCH_MAX", 0)
    store.forget_cached()
    by_chroma = [store.query(q, 30) for q in queries]
    assert store._small == ()
    assert [[i for i, _ in r] for r in exact] == [[i for i, _ in r] for r in by_chroma]
    for mine, theirs in zip(exact, by_chroma, strict=True):
        assert np.allclose([s for _, s in mine], [s for _, s in theirs], atol=1e-5)


def test_a_chunk_added_later_is_found_by_the_next_search(tmp_path: Path) -> None:
    store, vectors = _random_store(tmp_path, 10)
    target = np.full(DIM, 5.0, np.float32)
    assert store.query(target, 3)[0][0] != "new"
    store.upsert([Chunk("new", "b.txt", "جديد", 0, 4)], target[None, :])
    assert store.query(target, 3)[0][0] == "new"


def test_another_writers_chunk_is_searched_once_the_store_forgets_what_it_kept(
    tmp_path: Path,
) -> None:
    reader, _ = _random_store(tmp_path, 10)
    writer = _store(tmp_path)
    target = np.full(DIM, 5.0, np.float32)
    reader.query(target, 3)
    writer.upsert([Chunk("new", "b.txt", "جديد", 0, 4)], target[None, :])
    reader.forget_cached()
    assert reader.query(target, 3)[0] == ("new", pytest.approx(1.0, abs=1e-5))


def test_a_collection_larger_than_the_bound_is_searched_by_chroma(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chroma_store, "EXACT_SEARCH_MAX", 4)
    store, vectors = _random_store(tmp_path, 5)
    found = store.query(vectors[2], 5)
    assert store._small == ()
    assert found[0][0] == "c002" and len(found) == 5


class _WriteDuringFirstRead:
    """A collection whose first ``get`` returns what it read, then lets ``write`` finish
    before handing it back: a write landing while a question's read is in flight."""

    def __init__(self, collection: object, write: object) -> None:
        self._collection, self._write = collection, write

    def get(self, **kwargs: object) -> object:
        got = self._collection.get(**kwargs)  # type: ignore[attr-defined]
        write, self._write = self._write, None
        if write is not None:
            write()  # type: ignore[operator]
        return got

    def __getattr__(self, name: str) -> object:
        return getattr(self._collection, name)


@pytest.mark.parametrize("read", ["get", "query"])
def test_a_read_overtaken_by_a_write_is_not_kept(tmp_path: Path, read: str) -> None:
    store = _store(tmp_path)
    store.upsert([_chunk(0)], np.ones((1, DIM), np.float32))
    target = np.full(DIM, -1.0, np.float32)
    real = store.collection

    def write() -> None:
        store.collection = real
        store.upsert([Chunk("new", "b.txt", "جديد", 0, 4)], target[None, :])
        store.upsert([_chunk(40)], np.ones((1, DIM), np.float32))

    store.collection = _WriteDuringFirstRead(real, write)
    if read == "get":
        assert store.get(["c1"])["c1"].start == 0  # read before the write: the old offsets
    else:
        assert [i for i, _ in store.query(target, 2)] == ["c1"]  # read before "new" existed
    assert store.get(["c1"])["c1"].start == 40
    assert store.query(target, 2)[0][0] == "new"
