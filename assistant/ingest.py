"""Incremental, idempotent, crash-safe ingestion of a folder of articles.

Per run, under the single-writer lock (with a Chroma server: the lease, :mod:`assistant.lease`):

1. compare the folder with the manifest (content hashes) and the manifest with what
   Chroma really holds, so a run killed mid-way is detected and repaired;
2. clean and split new or changed files, embed only their chunks Chroma does not hold yet
   (an edit re-embeds the chunks around it, not the article; a text Chroma holds under
   another id, e.g. of a renamed file, reuses that vector), delete their stale chunks,
   upsert the new ones (ids are deterministic, so a repeat upsert is harmless) and update
   the kept ones' offsets, then record them; a large ingest prepares files in a worker
   process while this one writes to Chroma;
3. remove chunks of deleted files and orphans no manifest entry claims (after step 2, so
   a renamed file's vectors are still there to reuse);
4. rebuild the BM25 index when anything changed, from the terms analysed on the way
   (only unchanged chunks are read back from Chroma).

Running it twice changes nothing the second time. A bad file is skipped with a
one-line reason and the rest goes on; a previously indexed version of it is kept.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.documents import list_article_files
from assistant.errors import BackendError, StoreMismatchError, UserError
from assistant.index import Index, WriterGuard, index_name, open_index, writer_lock
from assistant.ingest_prepare import (
    Prepared,
    PrepareWorker,
    WorkerStopped,
    add_elapsed,
    embed,
    prepare,
)
from assistant.lease import ChromaLease, LeaseLost, chroma_lease
from assistant.settings import Settings
from vectorstore import lexical
from vectorstore.chroma_meta import open_meta
from vectorstore.chroma_store import drop_collection, make_client, server_answers
from vectorstore.embedders import Embedder, HashingEmbedder, make_embedder

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
GROUP_FILES = 200  # files prepared (and held in memory) per step of the pipeline
FIRST_GROUP_FILES = 20
# From this many files to (re)ingest, preparation runs in a worker process: starting one
# costs ~1 s, which a few hundred files repay.
PROCESS_MIN_FILES = 2 * GROUP_FILES
_FILES = (".manifest.json", ".manifest.tmp", ".bm25", ".bm25.old")  # an index's local files


@dataclass
class IngestReport:
    """What one ingest did, for the CLI summary and the UI."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    overlapped: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    sentence_vectors: int = 0  # sentences newly embedded for answer selection
    embedded: int = 0  # chunks embedded (new ones; those Chroma already held are not)

    def summary(self) -> str:
        """One line: counts of files by outcome, chunks (and how many were embedded),
        sentences embedded, time."""
        embedded = f" ({self.embedded} embedded)" if self.embedded else ""
        sentences = f"; {self.sentence_vectors} sentence vectors cached" if self.sentence_vectors else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; "
            f"{self.chunks} chunks in the index{embedded}{sentences}; {self.seconds:.2f} s"
        )

    def foreground_seconds(self) -> float:
        """Seconds of the stages this process waited for: all but the ``overlapped`` ones,
        which a worker process ran beside them (waits for it are ``prepare_wait``)."""
        return sum(v for k, v in self.timings.items() if k not in self.overlapped)

    def add_time(self, stage: str, since: float) -> float:
        """Add the time since ``since`` to ``stage`` and return now."""
        return add_elapsed(self.timings, stage, since)


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (the manifest's change detector), read in blocks so an
    oversized file is never held in memory."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _plan(
    index: Index, files: list[Path], report: IngestReport
) -> tuple[list[Path], set[str], dict[str, set[str]]]:
    """Files to (re)ingest and sources to remove, after checking the store against the
    manifest, and the stored chunk ids by source that the check read (one scan per run)."""
    assert index.store is not None
    stored = _stored_by_source(index)
    present = {p.name for p in files}
    todo: list[Path] = []
    for path in files:
        entry = index.manifest.files.get(path.name)
        if entry is None:
            todo.append(path)
        elif set(entry["chunk_ids"]) != stored.get(path.name, set()):
            report.repaired.append(path.name)
            todo.append(path)
        elif entry["hash"] != file_hash(path):
            todo.append(path)
        else:
            report.unchanged.append(path.name)
    removed = {s for s in index.manifest.files if s not in present}
    orphans = {s for s in stored if s not in index.manifest.files and s not in present}
    report.repaired.extend(sorted(orphans))
    return todo, removed | orphans, stored


def _stored_by_source(index: Index) -> dict[str, set[str]]:
    """Stored chunk ids by source file, read as cheaply as correctness allows.

    When the store holds exactly the manifest's ids (every run but a repair), the manifest's
    grouping is the store's, since a chunk id hashes its source file: reading ids only takes
    1.8 s at 100k chunks, every chunk's metadata 5.4 s. Otherwise, the full metadata scan.
    """
    assert index.store is not None
    if index.store.all_ids() == index.manifest.all_ids():
        return {source: set(entry["chunk_ids"]) for source, entry in index.manifest.files.items()}
    return index.store.ids_by_source()


def _store_groups(
    index: Index,
    todo: list[Path],
    report: IngestReport,
    stored: dict[str, set[str]],
    builder: lexical.LexicalBuilder | None,
    progress: Progress | None,
) -> lexical.LexicalBuilder | None:
    """Prepare the files group by group, write each group to Chroma, then record it.

    A large ingest prepares in a worker process, up to ``_WorkerPipeline.AHEAD`` groups
    ahead of the writes (see :mod:`assistant.ingest_prepare`); if that worker dies, the rest is prepared here and
    the BM25 terms it had are read back from Chroma. Either way a group is prepared against
    the ids ``stored`` holds for its files, whose chunks are not embedded again. Returns the
    builder holding the BM25 terms of what was prepared (``None`` when nothing is to be rebuilt).
    """
    # A small first group gets the first Chroma write going sooner.
    groups = [todo[:FIRST_GROUP_FILES]] if todo else []
    groups += [todo[i : i + GROUP_FILES] for i in range(FIRST_GROUP_FILES, len(todo), GROUP_FILES)]
    done = 0
    if todo and progress:  # start the bar (and its clock) now: the first group can take minutes
        progress(0, len(todo), todo[0].name)
    if len(todo) >= PROCESS_MIN_FILES:
        worker = _WorkerPipeline(groups, index, analyse=builder is not None, stored=stored)
        try:
            for prepared in worker:
                _write_group(index, prepared, report, stored)
                done += 1
                _progress(progress, groups, done, len(todo))
            report.overlapped.update(("clean", "split", "analyse"))
            if worker.embedder is not None:  # else the model, kept here, embedded in the foreground
                report.overlapped.add("embed")
            report.timings["prepare_wait"] = worker.waited
            return worker.builder if builder is not None else None
        except WorkerStopped as exc:
            report.notes.append(f"the preparation worker stopped ({exc}); went on in this process")
            log.warning("ingest: preparation worker stopped; preparing the rest in this process")
            builder = lexical.LexicalBuilder() if builder is not None else None
    cheap = index.embedder if _cheap_model(index.embedder) else None  # else embedded by _write_group
    for group in groups[done:]:
        prepared = prepare(group, index.settings, cheap, builder, _stored_ids(group, stored))
        _write_group(index, prepared, report, stored)
        done += 1
        _progress(progress, groups, done, len(todo))
    return builder


def _cheap_model(embedder: Embedder) -> bool:
    """Whether ``embedder`` is the hashing model: cheap to send to the worker and to run where
    a group is prepared, and cheaper to run than to look its texts up in Chroma. A neural
    model stays in this process (loading it twice would double its memory) and embeds in
    :func:`_write_group`, after the texts Chroma already holds were looked up."""
    return isinstance(embedder, HashingEmbedder)


def _known_vectors(index: Index, prepared: Prepared) -> dict[str, Any]:
    """Vectors Chroma holds for the texts of the group's new chunks under other ids (a renamed
    or re-filed article): a lookup of ~10-30 ms per 100 texts, where a neural model spends
    ~0.5 CPU-s on each."""
    assert index.store is not None
    t = time.perf_counter()
    known = index.store.vectors_by_text(c.text for c in prepared.chunks if c.chunk_id not in prepared.stored)
    prepared.add_time("lookup", t)
    return known


def _stored_ids(group: list[Path], stored: dict[str, set[str]]) -> frozenset[str]:
    """The chunk ids the store holds for the files of ``group`` (a source is its file name)."""
    return frozenset().union(*(stored.get(path.name, ()) for path in group))


def _progress(progress: Progress | None, groups: list[list[Path]], done: int, total: int) -> None:
    if progress:
        progress(sum(len(g) for g in groups[:done]), total, groups[done - 1][-1].name)


class _WorkerPipeline:
    """Groups prepared by one worker process, ``AHEAD`` groups ahead of the consumer."""

    AHEAD = 8  # groups requested ahead: their replies wait on disk, ~10 MB a group

    def __init__(self, groups: list[list[Path]], index: Index, analyse: bool, stored: dict[str, set[str]]) -> None:
        self.groups = groups
        self.stored = stored
        self.settings = index.settings
        # The hashing embedder is cheap to send and to run there; a neural model stays
        # here (loading it twice would double its memory) and embeds in this process.
        self.embedder = index.embedder if _cheap_model(index.embedder) else None
        self.analyse = analyse
        self.builder: lexical.LexicalBuilder | None = None
        self.waited = 0.0

    def __iter__(self) -> Iterator[Prepared]:
        worker = PrepareWorker()
        try:
            sent = 0
            for received in range(len(self.groups)):
                while sent < len(self.groups) and sent - received <= self.AHEAD:
                    group = self.groups[sent]
                    stored = _stored_ids(group, self.stored)
                    worker.send(("prepare", group, self.settings, self.embedder, self.analyse, stored))
                    sent += 1
                    if sent == len(self.groups) and self.analyse:
                        worker.send(("builder",))  # built there while the last groups are written
                t = time.perf_counter()
                prepared = worker.receive()
                self.waited += time.perf_counter() - t
                yield prepared
            if self.analyse:
                t = time.perf_counter()
                self.builder = worker.receive()
                self.waited += time.perf_counter() - t
        finally:
            worker.close()


def _write_group(index: Index, prepared: Prepared, report: IngestReport, stored: dict[str, set[str]]) -> None:
    """Embed (if the worker did not) the chunks Chroma lacks, write the group's chunks (new
    ones with their vectors, kept ones' moved offsets), delete stale chunks, then record it.

    ``stored`` is the plan's snapshot of chunk ids by source: under the writer lock only this
    run changes the store, and each source is stored once, so it stays right for every group
    (re-scanning all metadata per group of 200 files cost ~130 s of a 100k-chunk ingest).
    A group enters the manifest only after Chroma holds it, so a crash never records
    chunks Chroma lacks.
    """
    assert index.store is not None
    index.guard.ensure()
    if prepared.vectors is None:
        embed(prepared, index.embedder, _known_vectors(index, prepared))
    for stage, seconds in prepared.timings.items():
        report.timings[stage] = report.timings.get(stage, 0.0) + seconds
    report.skipped.extend(prepared.skipped)
    report.embedded += prepared.embedded
    t = time.perf_counter()
    for chunks, vectors in zip(prepared.batches(), prepared.vectors or [], strict=True):
        index.store.write(chunks, vectors, prepared.stored)
    for source, entry in prepared.entries.items():
        index.store.delete(stored.get(source, set()) - set(entry["chunk_ids"]))
    t = report.add_time("chroma", t)
    for source, entry in prepared.entries.items():
        was_there = source in index.manifest.files
        index.manifest.files[source] = entry
        if source not in report.repaired:
            (report.updated if was_there else report.added).append(source)
    index.manifest.save()
    report.add_time("manifest", t)


def _save_lexical(index: Index, report: IngestReport, builder: lexical.LexicalBuilder | None) -> None:
    """Build and save BM25 when the store changed (``builder`` holds the chunks this run
    wrote; the unchanged ones are read back from Chroma) or the saved index is stale."""
    assert index.store is not None
    t = time.perf_counter()
    expected_ids = index.manifest.all_ids()
    saved = None if builder is not None else lexical.load(index.lexical_dir)
    if saved is not None and saved.fingerprint == lexical.fingerprint(expected_ids):
        index.lexical = saved
    else:
        builder = builder or lexical.LexicalBuilder()
        missing = sorted(expected_ids - builder.chunk_ids())
        for chunk in index.store.get_many(missing):
            builder.add(chunk.chunk_id, chunk.text)
        index.lexical = builder.build()
        lexical.save(index.lexical, index.lexical_dir)
    report.add_time("bm25", t)


def _open_for_writing(settings: Settings, embedder: Embedder, rebuild: bool, report: IngestReport) -> Index:
    """Open (creating) the index; drop it first on ``rebuild`` or when its schema is stale.

    On a Chroma server a stale schema is refused unless ``rebuild`` is asked for: other
    instances (perhaps of another version) share that index.
    """
    if rebuild:
        _drop(settings, embedder)
    try:
        return open_index(settings, embedder, create=True)
    except StoreMismatchError as exc:
        if settings.chroma_host:
            raise
        report.notes.append(f"{exc}: rebuilding it")
        _drop(settings, embedder)
        return open_index(settings, embedder, create=True)


def _drop(settings: Settings, embedder: Embedder) -> None:
    """Delete the index: the chunk collection, the server's manifest (not the lease claims,
    one of which is ours) and the local files."""
    name = index_name(settings, embedder)
    client = make_client(settings)
    drop_collection(client, name)
    meta = open_meta(client, name, create=False) if settings.chroma_host else None
    if meta is not None:
        meta.delete_files(list(meta.files()))
    bm25_tmp = list(settings.store_dir.glob(f"{glob.escape(name)}.bm25.tmp*"))
    for path in [settings.store_dir / f"{name}{suffix}" for suffix in _FILES] + bm25_tmp:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def _writer(settings: Settings, embedder: Embedder, wait_s: float) -> Iterator[WriterGuard | ChromaLease]:
    """The single-writer guard: the file lock of ``store_dir``, or with a Chroma server the
    lease on the server (:mod:`assistant.lease`), which every machine sees."""
    if not settings.chroma_host:
        with writer_lock(settings.store_dir, wait_s):
            yield WriterGuard()
        return
    meta = open_meta(make_client(settings), index_name(settings, embedder), create=True)
    assert meta is not None
    with chroma_lease(meta, settings.lease_seconds, wait_s) as lease:
        yield lease


@contextlib.contextmanager
def _server_faults(settings: Settings) -> Iterator[None]:
    """Turn a Chroma server that stops answering mid-ingest into a one-line BackendError.

    Nothing is lost: chunks enter the manifest only after the server holds them, so the next
    ingest repairs and completes the work. Any error while the server still answers (a bug,
    or a user error such as a busy lease) passes unchanged; so does every error without a
    server. A lease lost because the server went away is reported as the server's fault.
    """
    try:
        yield
    except UserError as exc:
        if not isinstance(exc, LeaseLost) or server_answers(settings):
            raise
        raise _server_gone(settings, exc) from exc
    except Exception as exc:
        if not settings.chroma_host or server_answers(settings):
            raise
        raise _server_gone(settings, exc) from exc


def _server_gone(settings: Settings, exc: Exception) -> BackendError:
    """The one-line message for a Chroma server that went away during an ingest."""
    return BackendError(
        f"Chroma server at {settings.chroma_host}:{settings.chroma_port} stopped answering during "
        f"ingest ({type(exc).__name__}); what was written is kept, and running `ingest` again "
        "once the server is back completes the work"
    )


def ingest(
    settings: Settings,
    data_dir: Path | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    wait_s: float = 0.0,
    only_if_empty: bool = False,
) -> IngestReport:
    """Bring the index in line with ``data_dir`` (default ``settings.data_dir``); see module doc.

    ``only_if_empty`` (an app's first start) leaves an index that another instance filled
    while this one waited for the writer guard as it is, instead of replacing its articles.
    """
    started = time.perf_counter()
    report = IngestReport()
    files = list_article_files(data_dir or settings.data_dir)
    embedder = embedder or make_embedder(settings)
    with _server_faults(settings), _writer(settings, embedder, wait_s) as guard:
        index = _open_for_writing(settings, embedder, rebuild, report)
        index.guard = guard
        chunks = index.store.count() if only_if_empty and index.store is not None else 0
        if chunks:
            report.notes.append("another instance filled the index meanwhile; it was left as it is")
            report.chunks = chunks
        else:
            _update(index, files, report, progress)
    _cache_sentence_vectors(settings, index, report, progress)
    report.seconds = time.perf_counter() - started
    return report


def _cache_sentence_vectors(settings: Settings, index: Index, report: IngestReport, progress: Progress | None) -> None:
    """Embed every quotable sentence not cached yet (ingest's last step, outside the writer
    guard: the cache is this machine's own file), so that a question pays a matrix product
    instead of embedding sentences (see :mod:`assistant.sentence_vectors`)."""
    from assistant.sentence_vectors import sentence_cache, warm_sentences

    since = time.perf_counter()
    report.sentence_vectors = warm_sentences(sentence_cache(settings, index), index, progress)
    report.add_time("sentence_vectors", since)


def _remove_sources(index: Index, sources: set[str], report: IngestReport) -> None:
    """Delete the chunks of files that are gone (and of orphans) and forget them.

    This runs after the new and changed files are written, so a renamed file's chunks are
    still stored when its new name is prepared and their vectors are reused (``_known_vectors``).
    A crash before it leaves the gone files in the manifest; the next run removes them.
    """
    assert index.store is not None
    for source in sorted(sources):
        index.guard.ensure()
        index.store.delete(index.store.get_source_ids(source))
        if index.manifest.files.pop(source, None) is not None:
            report.removed.append(source)
    index.manifest.save()


def _update(index: Index, files: list[Path], report: IngestReport, progress: Progress | None) -> None:
    """The ingest proper, under the writer guard (see module doc). With a Chroma server the
    version stamp advances before the first change and after the last, so other instances
    reload their manifest and BM25 index."""
    assert index.store is not None
    todo, to_remove, stored = _plan(index, files, report)
    changed = bool(todo or to_remove or report.repaired)
    if changed and index.meta is not None:
        index.meta.advance_stamp("ingesting")
    builder = _store_groups(index, todo, report, stored, lexical.LexicalBuilder() if changed else None, progress)
    _remove_sources(index, to_remove, report)
    _save_lexical(index, report, builder)
    if index.meta is not None and (changed or index.meta.stamp() is None):
        index.stamp, index.synced = index.meta.advance_stamp(index.lexical.fingerprint if index.lexical else ""), True
    report.chunks = index.store.count()
