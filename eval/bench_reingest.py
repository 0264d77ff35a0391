"""What a re-ingest costs the embedding model: the five bundled articles ingested into a temp
store, then re-ingested unchanged, after one sentence of one article is edited, unchanged
again, and after the edited file is renamed (issue 13: with the e5 engine a chunk costs
~1 CPU-s, its sentences' vectors included).

    .venv/bin/python -m eval.bench_reingest                # e5 engine, article 002, line 3
    .venv/bin/python -m eval.bench_reingest --long --line 9  # edit a 22-chunk article

``--long`` adds one long article (the five bodies one after the other) and edits that one.
Each step prints one JSON line: texts the model embedded (chunks and sentences), its calls,
CPU seconds inside the model and in the whole ingest (``time.process_time``: every thread
of this process, which is where ingest runs the model), wall seconds, the ingest summary,
and for the edit how many of the article's chunk ids are new. A benchmark: it prints
numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import PROJECT_ROOT, Settings

EDIT_MARK = "(تعديل)"  # the word inserted into the edited sentence


class CountingModel:
    """An embedder that counts the texts, calls and CPU seconds of the model it wraps."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.id, self.dim = inner, inner.id, inner.dim
        self.texts, self.calls, self.cpu_s = 0, 0, 0.0

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        started = time.process_time()
        vectors = self.inner.embed_documents(texts)
        self.cpu_s += time.process_time() - started
        self.texts, self.calls = self.texts + len(texts), self.calls + 1
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def take(self) -> dict[str, Any]:
        """The counts since the last call, then zero them."""
        counts = {"texts_embedded": self.texts, "model_calls": self.calls, "model_cpu_s": round(self.cpu_s, 2)}
        self.texts, self.calls, self.cpu_s = 0, 0, 0.0
        return counts


def write_long_article(folder: Path) -> Path:
    """One long article in ``folder``: the bodies of its articles one after the other."""
    bodies = [p.read_text(encoding="utf-8").split("\n", 1)[1] for p in sorted(folder.glob("*.txt"))]
    path = folder / "900_long.txt"
    path.write_text("مقال طويل: الصين وروسيا وآسيا الوسطى\n" + "".join(bodies), encoding="utf-8")
    return path


def edit_one_sentence(path: Path, line_number: int) -> str:
    """Insert ``EDIT_MARK`` after the third word of line ``line_number``; the edited line."""
    text = path.read_text(encoding="utf-8")
    line = text.splitlines()[line_number]
    words = line.split(" ")
    edited = " ".join([*words[:3], EDIT_MARK, *words[3:]])
    path.write_text(text.replace(line, edited, 1), encoding="utf-8")
    return edited


def ingest_step(settings: Settings, model: CountingModel, step: str) -> dict[str, Any]:
    """One ingest, measured: the model's counts, the ingest's CPU and wall seconds, its summary."""
    from assistant.ingest import ingest

    cpu, wall = time.process_time(), time.perf_counter()
    report = ingest(settings, embedder=model)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "step": step,
        **model.take(),
        "ingest_cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "chunks_embedded": report.embedded,
        "sentences_embedded": report.sentence_vectors,
        "summary": report.summary(),
    }


def article_ids(settings: Settings, model: CountingModel, source: str) -> set[str]:
    """The chunk ids the manifest records for ``source``."""
    from assistant.index import open_index

    return set(open_index(settings, embedder=model).manifest.files[source]["chunk_ids"])


def measure(root: Path, embedder: str, long: bool, article: int, line: int) -> Iterator[dict[str, Any]]:
    """The five steps over a copy of the bundled articles in ``root`` (see module doc)."""
    from vectorstore.embedders import make_embedder

    data = root / "articles"
    shutil.copytree(PROJECT_ROOT / "data" / "articles", data)
    path = write_long_article(data) if long else sorted(data.glob("*.txt"))[article]
    settings = Settings(data_dir=data, store_dir=root / "store", embedder=embedder, allow_downloads=False)
    model = CountingModel(make_embedder(settings))
    yield {"embedder": model.id, "edited_article": path.name}
    yield ingest_step(settings, model, "first ingest")
    yield ingest_step(settings, model, "no-change re-ingest")
    before = article_ids(settings, model, path.name)
    edited = edit_one_sentence(path, line)
    row = ingest_step(settings, model, f"one sentence edited (line {line})")
    after = article_ids(settings, model, path.name)
    yield {**row, "edited_line": edited[:80], "article_chunks": len(after), "new_chunk_ids": len(after - before)}
    yield ingest_step(settings, model, "no-change re-ingest after the edit")
    path.rename(path.with_name(f"renamed_{path.name}"))
    yield ingest_step(settings, model, "the edited file renamed")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_reingest", description=__doc__.split("\n")[0])
    parser.add_argument("--embedder", default="e5-engine", help="ASSISTANT_EMBEDDER value (default e5-engine)")
    parser.add_argument("--long", action="store_true", help="add a long article (the five bodies) and edit it")
    parser.add_argument("--article", type=int, default=2, help="index of the bundled article to edit (sorted)")
    parser.add_argument("--line", type=int, default=3, help="line of the article whose first sentence is edited")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before the engine loads (see the GUIDE)
    root = Path(tempfile.mkdtemp(prefix="bench-reingest-"))
    try:
        for row in measure(root, args.embedder, args.long, args.article, args.line):
            print(json.dumps(row, ensure_ascii=False), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
