"""Incremental ingestion into real Chroma + BM25: idempotent re-runs, updates, deletions, repair
after a crash, bad inputs skipped with one line each, stores of another embedder rebuilt."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant import ingest_prepare
from assistant.arabic import analyse
from assistant.errors import StoreMismatchError, UserError
from assistant.index import Manifest, index_name, open_index
from assistant.ingest import ingest
from assistant.models import Chunk
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from vectorstore import lexical
from vectorstore.chroma_store import SCHEMA_VERSION, ChromaStore, make_client
from vectorstore.embedders import HashingEmbedder

BUNDLED_ARTICLES = PROJECT_ROOT / "data" / "articles"
ARTICLE_NAMES = sorted(p.name for p in BUNDLED_ARTICLES.glob("*.txt"))
A001, A002, A003 = ARTICLE_NAMES[1], ARTICLE_NAMES[2], ARTICLE_NAMES[3]
PLANTED = (
    "أعلن وزير الزراعة في جزر القمر أن الجمل الطائر سيهبط في مطار موروني يوم الخميس المقبل.\n"
    "وقال الوزير إن الجمل الطائر قطع المحيط الهندي في رحلة استغرقت ثلاثة أيام.\n"
)


class SimulatedCrash(RuntimeError):
    """Raised by a patched step to stand for the process dying at that moment."""


def crash_on_call(patch: pytest.MonkeyPatch, owner: object, attr: str, nth: int) -> None:
    """Make ``owner.attr`` raise :class:`SimulatedCrash` on its ``nth`` call (1-based)."""
    original = getattr(owner, attr)
    calls = [0]

    def wrapper(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == nth:
            raise SimulatedCrash(f"{attr} call {nth}")
        return original(*args, **kwargs)

    patch.setattr(owner, attr, wrapper)


def stored_ids(settings: Settings) -> dict[str, set[str]]:
    index = open_index(settings)
    assert index.store is not None
    return index.store.ids_by_source()


def saved_bm25_ids(settings: Settings) -> set[str]:
    index = open_index(settings)
    saved = lexical.load(index.lexical_dir)
    assert saved is not None
    return set(saved.ids)


# --- first ingest and re-ingest --------------------------------------------------------


def test_a_first_ingest_adds_every_article_to_chroma_bm25_and_the_manifest(
    settings: Settings, check_index: Callable
) -> None:
    report = ingest(settings)
    assert report.added == ARTICLE_NAMES
    assert report.updated == report.removed == report.unchanged == report.skipped == []
    index = check_index(settings)
    assert report.chunks == index.store.count() > len(ARTICLE_NAMES)
    entry = index.manifest.files[A001]
    assert (entry["title"], entry["date"], entry["language"]) == (
        "لافروف في الصين.. مباحثات حول التعاون الإستراتيجي وأمن أوراسيا",
        "2024-04-29",
        "ar",
    )
    assert 0 < entry["chars"] < len((settings.data_dir / A001).read_text(encoding="utf-8"))
    assert report.summary().startswith("5 added, 0 updated, 0 removed, 0 unchanged, 0 skipped;")


def test_every_stored_chunk_is_the_exact_slice_of_its_file(settings: Settings, built_index) -> None:  # type: ignore[no-untyped-def]
    texts = {name: (settings.data_dir / name).read_text(encoding="utf-8") for name in ARTICLE_NAMES}
    chunks: list[Chunk] = list(built_index.store.all_chunks())
    assert chunks
    for chunk in chunks:
        assert texts[chunk.source][chunk.start : chunk.end] == chunk.text


def test_a_second_ingest_changes_nothing(settings: Settings, check_index: Callable) -> None:
    ingest(settings)
    index = open_index(settings)
    ids_before = index.store.ids_by_source()
    manifest_before = index.manifest.path.read_text(encoding="utf-8")
    bm25_meta = index.lexical_dir / "meta.json"
    bm25_mtime = bm25_meta.stat().st_mtime_ns

    report = ingest(settings)

    assert (report.added, report.updated, report.removed, report.repaired) == ([], [], [], [])
    assert report.unchanged == ARTICLE_NAMES
    assert stored_ids(settings) == ids_before
    assert open_index(settings).store.count() == sum(len(i) for i in ids_before.values())
    assert index.manifest.path.read_text(encoding="utf-8") == manifest_before
    assert bm25_meta.stat().st_mtime_ns == bm25_mtime, "BM25 index was rewritten for nothing"
    check_index(settings)


def test_a_changed_file_is_updated_and_the_others_are_untouched(
    settings: Settings, check_index: Callable
) -> None:
    ingest(settings)
    before = stored_ids(settings)
    path = settings.data_dir / A002
    text = path.read_text(encoding="utf-8")
    paragraph = text.splitlines()[9]
    path.write_text(
        text.replace(paragraph, "وأكد الجانبان أن قطار الكرز السريع سيربط بكين بموسكو."),
        encoding="utf-8",
    )

    report = ingest(settings)

    assert report.updated == [A002] and report.added == report.removed == []
    assert sorted(report.unchanged) == sorted(set(ARTICLE_NAMES) - {A002})
    after = stored_ids(settings)
    for name in set(ARTICLE_NAMES) - {A002}:
        assert after[name] == before[name]
    gone, new = before[A002] - after[A002], after[A002] - before[A002]
    assert gone and new and before[A002] & after[A002], "only the chunks around the edit change"
    index = check_index(settings)
    assert all(paragraph not in c.text for c in index.store.get_source(A002))
    hits = index.lexical.search(analyse("قطار الكرز"), 3)
    assert hits and hits[0][0] in new


def test_a_changed_file_sends_vectors_only_for_its_new_chunks_and_moves_the_others_offsets(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-sending a stored chunk's vector made Chroma re-insert a point its HNSW graph held,
    which under load now and then left a new chunk of the same write unreachable by
    ``query`` (another instance then never ranked it); an unchanged chunk whose text moved
    keeps its id and vector and gets its new offsets."""
    ingest(settings)
    before = stored_ids(settings)
    path = settings.data_dir / A002
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    path.write_text(text.replace(first, first + " (محدث)", 1), encoding="utf-8")
    sent: list[str] = []
    real_upsert = ChromaStore.upsert

    def recording_upsert(store: ChromaStore, chunks: list[Chunk], vectors) -> None:  # type: ignore[no-untyped-def]
        sent.extend(c.chunk_id for c in chunks)
        real_upsert(store, chunks, vectors)

    monkeypatch.setattr(ChromaStore, "upsert", recording_upsert)

    assert ingest(settings).updated == [A002]

    after = stored_ids(settings)
    new, kept = after[A002] - before[A002], after[A002] & before[A002]
    assert new and kept, "the edit changes some chunks and leaves others' text alone"
    assert sorted(sent) == sorted(new)
    edited = path.read_text(encoding="utf-8")
    chunks = open_index(settings).store.get_source(A002)  # type: ignore[union-attr]
    assert {c.chunk_id for c in chunks} == after[A002]
    for chunk in chunks:
        assert edited[chunk.start : chunk.end] == chunk.text


def test_a_deleted_file_is_removed_from_chroma_bm25_and_the_manifest(
    settings: Settings, check_index: Callable
) -> None:
    ingest(settings)
    old_ids = stored_ids(settings)[A003]
    (settings.data_dir / A003).unlink()

    report = ingest(settings)

    assert report.removed == [A003] and report.added == report.updated == []
    assert A003 not in stored_ids(settings)
    assert not old_ids & saved_bm25_ids(settings)
    manifest = json.loads(open_index(settings).manifest.path.read_text(encoding="utf-8"))
    assert A003 not in manifest["files"]
    index = check_index(settings)
    assert index.store.get_source_ids(A003) == []
    answer = Assistant(settings, index).ask("ماذا قال بوتين عن صداقة الصين وروسيا؟")
    assert A003 not in {r.chunk.source for r in answer.retrieved}


def test_a_new_file_is_added_without_touching_the_others(
    settings: Settings, check_index: Callable
) -> None:
    ingest(settings)
    before = stored_ids(settings)
    (settings.data_dir / "005_new.txt").write_text("خبر جديد\n" + PLANTED, encoding="utf-8")
    report = ingest(settings)
    assert report.added == ["005_new.txt"] and report.unchanged == ARTICLE_NAMES
    after = stored_ids(settings)
    assert {k: v for k, v in after.items() if k != "005_new.txt"} == before
    check_index(settings)


def test_rebuild_drops_and_rebuilds_the_same_index(
    settings: Settings, check_index: Callable
) -> None:
    ingest(settings)
    before = stored_ids(settings)
    report = ingest(settings, rebuild=True)
    assert report.added == ARTICLE_NAMES
    assert stored_ids(settings) == before
    check_index(settings)


# --- repair after a crash --------------------------------------------------------------


def _edit_002(settings: Settings) -> None:
    path = settings.data_dir / A002
    extra = "\n".join(
        f"فقرة مضافة رقم {i} عن التعاون بين بكين وموسكو في مجال الطاقة." for i in range(12)
    )
    path.write_text(path.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")


def _delete_003(settings: Settings) -> None:
    (settings.data_dir / A003).unlink()


CRASHES = {
    "first-build-mid-upsert": (None, ChromaStore, "upsert", 2),
    "first-build-at-manifest-save": (None, Manifest, "save", 2),
    "update-mid-upsert": (_edit_002, ChromaStore, "write", 2),  # a group writes in batches
    "update-before-stale-chunks-deleted": (_edit_002, ChromaStore, "delete", 1),
    "deletion-mid-delete": (_delete_003, ChromaStore, "delete", 1),
    "update-at-bm25-save": (_edit_002, lexical, "save", 1),
}


@pytest.mark.parametrize("scenario", list(CRASHES))
def test_an_ingest_that_crashed_midway_is_repaired_by_the_next_one(
    settings: Settings, check_index: Callable, scenario: str
) -> None:
    change, owner, attr, nth = CRASHES[scenario]
    if change is not None:
        ingest(settings)
        change(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_prepare, "EMBED_BATCH", 4)
        crash_on_call(patch, owner, attr, nth)
        with pytest.raises(SimulatedCrash):
            ingest(settings)

    report = ingest(settings)
    assert not report.skipped
    index = check_index(settings)
    assert set(index.manifest.files) == {p.name for p in settings.data_dir.glob("*.txt")}
    again = ingest(settings)
    assert (again.added, again.updated, again.removed, again.repaired) == ([], [], [], [])


def test_chunks_of_a_source_no_file_or_manifest_claims_are_removed_as_orphans(
    settings: Settings, built_index, check_index: Callable
) -> None:  # type: ignore[no-untyped-def]
    ghost = Chunk(
        chunk_id="ghost0000000000000000000", source="ghost.txt", text="شبح", start=0, end=3
    )
    built_index.store.upsert([ghost], HashingEmbedder().embed_documents(["شبح"]))
    report = ingest(settings)
    assert report.repaired == ["ghost.txt"]
    assert "ghost.txt" not in stored_ids(settings)
    check_index(settings)


@pytest.mark.parametrize("lost", ["manifest", "bm25"])
def test_a_lost_manifest_or_bm25_index_is_rebuilt_without_duplicates(
    settings: Settings, built_index, check_index: Callable, lost: str
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    count = built_index.store.count()
    if lost == "manifest":
        built_index.manifest.path.unlink()
    else:
        shutil.rmtree(built_index.lexical_dir)
        reopened = open_index(settings)
        assert reopened.lexical is not None and len(reopened.lexical.ids) == count
    ingest(settings)
    assert check_index(settings).store.count() == count


# --- bad inputs ------------------------------------------------------------------------

BAD_FILES = {
    "empty.txt": (b"", "empty"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    "cp1256.txt": ("قال لافروف إن العلاقات قوية جدا".encode("cp1256"), "not UTF-8"),
    "boilerplate.txt": ("شارك القصة\nClose\n".encode(), "boilerplate"),
}


def _huge(path: Path) -> None:
    with open(path, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: instant, no disk space


@pytest.mark.parametrize("name", [*BAD_FILES, "huge.txt"])
def test_a_bad_file_is_skipped_with_one_line_and_the_rest_is_ingested(
    settings: Settings, check_index: Callable, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = settings.data_dir / name
    if name == "huge.txt":
        _huge(path)
        reason = "refused, 52.4 MB is over the 10 MB limit"
        monkeypatch.setattr(Path, "read_bytes", _refuse_reading_big_files(Path.read_bytes))
    else:
        path.write_bytes(BAD_FILES[name][0])
        reason = BAD_FILES[name][1]

    report = ingest(settings)

    assert report.added == ARTICLE_NAMES
    assert len(report.skipped) == 1
    message = report.skipped[0]
    assert message.startswith(f"{name}: ") and reason in message and "\n" not in message
    assert name not in stored_ids(settings)
    check_index(settings)


def _refuse_reading_big_files(original: Callable[[Path], bytes]) -> Callable[[Path], bytes]:
    def read_bytes(self: Path) -> bytes:
        if self.stat().st_size > 20 * 1024 * 1024:
            pytest.fail(f"{self.name} was read into memory")
        return original(self)

    return read_bytes


@pytest.mark.parametrize("damage", ["binary", "huge"])
def test_an_indexed_file_that_turns_bad_keeps_its_indexed_version(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    ingest(settings)
    before = stored_ids(settings)
    path = settings.data_dir / A001
    if damage == "huge":
        path.unlink()
        _huge(path)
        monkeypatch.setattr(Path, "read_bytes", _refuse_reading_big_files(Path.read_bytes))
    else:
        path.write_bytes(b"\x00\x01\x02" * 100)

    report = ingest(settings)

    assert [m.split(":")[0] for m in report.skipped] == [A001]
    assert stored_ids(settings) == before
    assert A001 in open_index(settings).manifest.files


@pytest.mark.parametrize(
    "name", ["مقال عن الجمل الطائر.txt", "news item 7.txt", "خبر  (نسخة 2).txt"]
)
def test_a_file_named_with_spaces_or_arabic_letters_is_ingested_and_cited_by_that_name(
    settings: Settings, check_index: Callable, name: str
) -> None:
    (settings.data_dir / name).write_text("خبر غريب من جزر القمر\n" + PLANTED, encoding="utf-8")
    report = ingest(settings)
    assert name in report.added and not report.skipped
    index = check_index(settings)
    answer = Assistant(settings, index).ask("متى سيهبط الجمل الطائر في مطار موروني؟")
    assert answer.retrieved[0].chunk.source == name
    assert answer.citations and answer.citations[0].source == name
    text = (settings.data_dir / name).read_text(encoding="utf-8")
    for citation in answer.citations:
        if citation.source == name:
            assert text[citation.start : citation.end] == citation.quote


def test_a_data_folder_that_does_not_exist_is_a_user_error_and_creates_nothing(
    settings: Settings,
) -> None:
    missing = settings.data_dir.parent / "no such folder"
    with pytest.raises(UserError, match="the folder does not exist"):
        ingest(settings, data_dir=missing)
    assert not settings.store_dir.exists()


# --- a store written by another embedder or schema -------------------------------------

MISMATCHES = {
    "other-embedder": {"embedder": "st-multilingual-e5-small-512", "dim": 512, "schema": SCHEMA_VERSION},
    "other-dimension": {"embedder": "hashing-ngram-v1-512", "dim": 384, "schema": SCHEMA_VERSION},
    "old-schema": {"embedder": "hashing-ngram-v1-512", "dim": 512, "schema": SCHEMA_VERSION - 1},
}


def _plant_foreign_collection(settings: Settings, metadata: dict) -> str:
    name = index_name(settings, HashingEmbedder())
    collection = make_client(settings).create_collection(
        name, embedding_function=None, metadata={**metadata, "hnsw:space": "cosine"}
    )
    dim = int(metadata["dim"])
    collection.add(
        ids=["foreign"],
        embeddings=[[0.1] * dim],
        metadatas=[{"source": "x.txt", "text": "نص غريب"}],
    )
    return name


@pytest.mark.parametrize("kind", list(MISMATCHES))
def test_opening_a_store_of_another_embedder_or_schema_raises_a_clear_mismatch(
    settings: Settings, kind: str
) -> None:
    name = _plant_foreign_collection(settings, MISMATCHES[kind])
    with pytest.raises(StoreMismatchError) as caught:
        open_index(settings)
    message = str(caught.value)
    assert message.startswith(f"collection {name} ")
    assert "ingest --rebuild" in message and "\n" not in message


@pytest.mark.parametrize("kind", list(MISMATCHES))
def test_ingest_rebuilds_a_store_of_another_embedder_or_schema_with_a_note(
    settings: Settings, check_index: Callable, kind: str
) -> None:
    _plant_foreign_collection(settings, MISMATCHES[kind])
    report = ingest(settings)
    assert len(report.notes) == 1 and report.notes[0].endswith(": rebuilding it")
    assert report.added == ARTICLE_NAMES
    index = check_index(settings)
    assert index.store.collection.metadata["embedder"] == "hashing-ngram-v1-512"
    assert "foreign" not in index.store.get(["foreign"])


def test_a_meta_collection_beside_the_chunks_is_not_taken_for_another_embedders_index(
    settings: Settings,
) -> None:
    """The ``.meta`` companion of a chunk collection (manifest, stamp, lease records: what a
    Chroma server holds for every instance) holds records, not passages of another embedder."""
    from assistant.embedder_guard import other_embedder_indexes
    from vectorstore.chroma_meta import open_meta
    from vectorstore.chroma_store import collection_name

    client = make_client(settings)
    current = collection_name(settings.collection, HashingEmbedder().id)
    meta = open_meta(client, current, create=True)
    assert meta is not None
    meta.advance_stamp("ids")
    assert client.get_collection(current + ".meta", embedding_function=None).count() > 0
    assert other_embedder_indexes(client, settings.collection, current) == {}

    other = collection_name(settings.collection, "another-embedder")
    client.create_collection(other, embedding_function=None).add(ids=["x"], embeddings=[[0.0, 1.0]])
    assert set(other_embedder_indexes(client, settings.collection, current).values()) == {1}


def test_another_collection_names_index_in_the_same_store_is_not_another_embedders(
    settings: Settings,
) -> None:
    """``ASSISTANT_COLLECTION=articles-eval`` beside ``articles`` in one store (the eval
    suite does this): its collection starts with "articles-" but is another base's index
    with the *same* embedder, so asking with ``articles`` must not be refused for it."""
    from assistant.embedder_guard import other_embedder_indexes
    from vectorstore.chroma_store import collection_name

    client = make_client(settings)
    embedder_id = HashingEmbedder().id
    current = collection_name(settings.collection, embedder_id)
    other_base = collection_name(settings.collection + "-eval", embedder_id)
    client.create_collection(other_base, embedding_function=None, metadata={"embedder": embedder_id}).add(
        ids=["x"], embeddings=[[0.0, 1.0]]
    )
    assert other_embedder_indexes(client, settings.collection, current) == {}

    other_embedder = collection_name(settings.collection, "another-embedder")
    client.create_collection(other_embedder, embedding_function=None, metadata={"embedder": "another-embedder"}).add(
        ids=["y"], embeddings=[[1.0, 0.0]]
    )
    assert other_embedder_indexes(client, settings.collection, current) == {"another-embedder": 1}
