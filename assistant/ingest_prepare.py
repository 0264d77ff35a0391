"""The Python half of ingest: clean, split, embed and analyse a group of files.

It runs inline for small ingests and in one worker process for large ones, beside the
Chroma writes: Chroma's upsert holds the GIL for its whole call (measured: a thread
looping beside a 20k-chunk upsert got 0.1 s of 11.7 s), so a thread cannot overlap
it, while a second process uses the second core. The worker never imports Chroma.

A :class:`Prepared` group carries no article text beyond its chunks, so what crosses the
process boundary is chunks, vectors and manifest entries.

Only chunks the store does not hold yet are embedded. A chunk id hashes the article's name
and the chunk's text (:func:`assistant.splitter.chunk_id`) and a collection holds one
embedder's vectors, so a stored id already has the vector this embedder would give its text:
editing one sentence of an article embeds the chunks around the edit, not the whole article
(with the e5 engine ~0.55 CPU-s a chunk; its sentences are cached by text in
:mod:`assistant.sentence_vectors`, which likewise embeds only new ones). Each distinct text
is embedded once, and a text the store holds under another id can be handed to
:func:`embed` with its vector (ingest looks them up for a costly model).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.documents import load_article
from assistant.errors import UserError
from assistant.models import Article, Chunk
from assistant.settings import Settings
from assistant.speakers import names_in_text
from assistant.splitter import split_article
from assistant.tokens import get_token_counter
from vectorstore.embedders import Embedder
from vectorstore.lexical import LexicalBuilder

EMBED_BATCH = 2048
REAP_TIMEOUT_S = 10.0  # how long a worker whose output ended may take to exit


@dataclass
class Prepared:
    """One group of files ready for Chroma: chunks, their vectors (``None`` until embedded),
    manifest entries by source, files refused with their reasons, seconds per stage.

    ``stored`` holds the ids of the group's articles that the store already has (with their
    vectors): those chunks are not embedded. ``vectors[k]`` holds the vectors of the chunks
    of ``chunks[k * EMBED_BATCH : (k + 1) * EMBED_BATCH]`` that are not ``stored``, in order
    (an empty array when all are); ``embedded`` counts the texts the model embedded."""

    chunks: list[Chunk] = field(default_factory=list)
    vectors: list[Any] | None = None
    entries: dict[str, dict] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    stored: frozenset[str] = frozenset()
    embedded: int = 0

    def batches(self) -> list[list[Chunk]]:
        """The chunks in batches of ``EMBED_BATCH``, as ``vectors`` is laid out."""
        return [self.chunks[i : i + EMBED_BATCH] for i in range(0, len(self.chunks), EMBED_BATCH)]

    def add_time(self, stage: str, since: float) -> float:
        """Add the time since ``since`` to ``stage`` and return now."""
        return add_elapsed(self.timings, stage, since)


def add_elapsed(timings: dict[str, float], stage: str, since: float) -> float:
    """Add the seconds since ``since`` to ``timings[stage]``; return now (the next ``since``)."""
    now = time.perf_counter()
    timings[stage] = timings.get(stage, 0.0) + now - since
    return now


def manifest_entry(article: Article, chunks: list[Chunk]) -> dict:
    """What the manifest records of one ingested article."""
    return {
        "hash": article.content_hash,
        "chunk_ids": [c.chunk_id for c in chunks],
        "title": article.title,
        "date": article.date,
        "language": article.language,
        "chars": article.char_count,
        "names": names_in_text(article.cleaned),
    }


def prepare(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder | None,
    builder: LexicalBuilder | None,
    stored: frozenset[str] = frozenset(),
) -> Prepared:
    """Load and clean ``paths``, split them, embed the chunks whose id is not in ``stored``
    (the ids the store holds for these files) when ``embedder`` is given and add every
    chunk's BM25 terms to ``builder`` when one is given."""
    out = Prepared(stored=frozenset(stored))
    t = time.perf_counter()
    articles = []
    for path in paths:
        try:
            articles.append(load_article(path, settings.max_file_bytes))
        except UserError as exc:
            out.skipped.append(str(exc))
    t = out.add_time("clean", t)
    counter = get_token_counter(settings)
    for article in articles:
        chunks = split_article(
            article, counter.count, settings.chunk_tokens, settings.chunk_overlap_tokens
        )
        out.chunks.extend(chunks)
        out.entries[article.source] = manifest_entry(article, chunks)
    t = out.add_time("split", t)
    if embedder is not None:
        embed(out, embedder)
        t = time.perf_counter()
    if builder is not None:
        for chunk in out.chunks:
            builder.add(chunk.chunk_id, chunk.text)
        out.add_time("analyse", t)
    return out


def embed(prepared: Prepared, embedder: Embedder, known: Mapping[str, Any] | None = None) -> None:
    """Embed the group's chunks that are not ``prepared.stored``, batch by batch (see
    :class:`Prepared`), each distinct text once. A text in ``known`` (the vector the store
    holds for that text under another id: a renamed file, an article filed twice) is not
    embedded; a batch with nothing to embed costs no call to the model."""
    t = time.perf_counter()
    vectors_by_text = dict(known or {})
    prepared.vectors = []
    for batch in prepared.batches():
        texts = [c.text for c in batch if c.chunk_id not in prepared.stored]
        todo = [text for text in dict.fromkeys(texts) if text not in vectors_by_text]
        if todo:
            vectors_by_text.update(zip(todo, embedder.embed_documents(todo), strict=True))
            prepared.embedded += len(todo)
        rows = [vectors_by_text[text] for text in texts]
        prepared.vectors.append(np.asarray(rows, dtype=np.float32).reshape(len(texts), embedder.dim))
    prepared.add_time("embed", t)


# --- the worker process -----------------------------------------------------------------
#
# A plain subprocess (``python -c "...serve()"``) that reads pickled requests on stdin and
# writes pickled replies on stdout. Not ``multiprocessing``: its spawn start re-imports the
# caller's main module in the child, which runs any script without a ``__main__`` guard a
# second time. Both ends are this package, so pickle carries nothing from outside.


class WorkerStopped(Exception):
    """The preparation worker exited or broke its pipe."""


class PrepareWorker:
    """One preparation worker process; requests are answered in the order sent."""

    def __init__(self) -> None:
        # Replies go through files in this folder, the pipe carries only their names: a
        # reply (a group's chunks and vectors, ~10 MB) written to the pipe blocked the
        # worker until this process read it, and this process reads nothing while inside
        # a Chroma call (which holds the GIL), so the worker could not work ahead.
        self.spool = Path(tempfile.mkdtemp(prefix="assistant-prepare-"))
        package_root = str(Path(__file__).resolve().parent.parent)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [package_root, os.environ.get("PYTHONPATH")])
            ),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from assistant.ingest_prepare import serve; serve(sys.argv[1])",
                str(self.spool),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def send(self, request: tuple) -> None:
        """Queue a request: ("prepare", paths, settings, embedder, analyse, stored) (``stored``:
        the ids the store holds for those files, which are not embedded) or ("builder",)."""
        assert self.process.stdin is not None
        try:
            pickle.dump(request, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerStopped(f"could not write to it: {exc}") from None

    def receive(self) -> Any:
        """The next reply; :class:`WorkerStopped` if the worker died or failed."""
        assert self.process.stdout is not None
        try:
            ok, value = pickle.load(self.process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            code = self._exit_code(REAP_TIMEOUT_S if isinstance(exc, EOFError) else 0.0)
            raise WorkerStopped(
                f"exit code {code}" if code is not None else type(exc).__name__
            ) from None
        if not ok:
            raise WorkerStopped(value)
        path = Path(value)
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            raise WorkerStopped(f"its reply could not be read: {exc}") from None
        finally:
            path.unlink(missing_ok=True)

    def _exit_code(self, timeout_s: float = REAP_TIMEOUT_S) -> int | None:
        """The worker's exit code once it has been reaped, ``None`` if it is still running.

        Its end of the pipe closes a moment before the kernel can report its exit status,
        so ``poll()`` right after EOF often said "still running" on a busy machine: after
        EOF, wait (at most ``timeout_s``) for the process that closed its output."""
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        """Ask the worker to stop (end of stdin) and reap it; kill it if it lingers."""
        with contextlib.suppress(OSError):
            if self.process.stdin:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        shutil.rmtree(self.spool, ignore_errors=True)


def serve(spool: str) -> None:
    """The worker's loop: answer requests until stdin closes, each reply pickled to a file
    in ``spool`` whose name goes back on stdout."""
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the reply stream
    builder: LexicalBuilder | None = None
    count = 0
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:
            return
        try:
            if request[0] == "prepare":
                _, paths, settings, embedder, analyse, stored = request
                if analyse and builder is None:
                    builder = LexicalBuilder()
                reply: Any = prepare(paths, settings, embedder, builder if analyse else None, stored)
            else:  # "builder": build BM25 here, beside the parent's last Chroma writes
                if builder is not None:
                    builder.build()
                reply, builder = builder, None
            count += 1
            path = Path(spool) / f"{count:06d}.pickle"
            with open(path, "wb") as handle:
                pickle.dump(reply, handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump((True, str(path)), replies, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which goes on without us
            pickle.dump((False, f"{type(exc).__name__}: {exc}"), replies)
        replies.flush()
