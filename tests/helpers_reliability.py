"""Shared helpers for the reliability tests (issue 8): temp corpora, settings, CLI, checks.

Everything here works on temporary folders with the weight-free hashing embedder and
downloads off, so no test touches ``data/articles`` or ``store/`` and none needs the
network. :func:`assert_index_matches_files` is the one definition of "the index is
intact" used after crashes, concurrent writers and hostile inputs alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from assistant.documents import list_article_files, load_article
from assistant.errors import UserError
from assistant.models import Chunk
from assistant.settings import PROJECT_ROOT, Settings

REAL_ARTICLES = PROJECT_ROOT / "data" / "articles"
_SENTENCE_RE = re.compile(r"(?<=[.؟!])\s+|\n+")
WEB_REQUEST_TIMEOUT_S = 120.0  # per HTTP call of a test's web client; generous on purpose
# For one `python -m assistant` run to finish: catches a hang, not a busy machine (the old
# 60 s left little room at a load average of 10-13 on two cores, where a test of three CLI
# runs failed).
CLI_DEADLINE_S = 300.0


def make_settings(root: Path, **overrides: object) -> Settings:
    """Offline settings on ``root/data`` and ``root/store`` (hashing embedder, no LLM).

    Every field a test relies on is passed explicitly, so stray ``ASSISTANT_*``
    variables in the environment cannot change the outcome.
    """
    values: dict[str, object] = {
        "data_dir": root / "data",
        "store_dir": root / "store",
        "embedder": "hashing",
        "allow_downloads": False,
        "llm_provider": "none",
        "chroma_host": None,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def offline_env(root: Path, **extra: str) -> dict[str, str]:
    """Environment for a ``python -m assistant`` subprocess working on ``root``.

    Outer ``ASSISTANT_*`` and ``OPENAI_*`` variables are dropped; ``extra`` adds
    ``ASSISTANT_<KEY>`` variables (``log_level="DEBUG"`` → ``ASSISTANT_LOG_LEVEL``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(
        {
            "ASSISTANT_DATA_DIR": str(root / "data"),
            "ASSISTANT_STORE_DIR": str(root / "store"),
            "ASSISTANT_EMBEDDER": "hashing",
            "ASSISTANT_ALLOW_DOWNLOADS": "false",
            "HF_HUB_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
    )
    env.update({f"ASSISTANT_{key.upper()}": value for key, value in extra.items()})
    return env


def cli_command(*args: str) -> list[str]:
    """The argv of ``python -m assistant ARGS`` with this interpreter."""
    return [sys.executable, "-m", "assistant", *args]


def run_cli(
    env: Mapping[str, str], *args: str, timeout: float = CLI_DEADLINE_S
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m assistant ARGS`` to completion and capture its output."""
    return subprocess.run(
        cli_command(*args),
        env=dict(env),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def copy_real_articles(folder: Path) -> list[Path]:
    """Copy the bundled articles into ``folder`` and return the copies."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for path in sorted(REAL_ARTICLES.glob("*.txt")):
        target = folder / path.name
        target.write_bytes(path.read_bytes())
        copies.append(target)
    return copies


def real_sentences() -> list[str]:
    """Sentences (over 30 characters) of the bundled articles, in file order."""
    sentences = []
    for path in sorted(REAL_ARTICLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences += [s.strip() for s in _SENTENCE_RE.split(text) if len(s.strip()) > 30]
    return sentences


def synthetic_article(rng: random.Random, sentences: list[str], number: int) -> str:
    """One article of 3-6 paragraphs of 2-4 real sentences, with a numbered headline."""
    paragraphs = [
        " ".join(rng.sample(sentences, rng.randint(2, 4))) for _ in range(rng.randint(3, 6))
    ]
    return f"مقال تجريبي رقم {number} عن الأخبار\n" + "\n".join(paragraphs) + "\n"


def write_synthetic_corpus(
    folder: Path, count: int, seed: int = 0, prefix: str = "syn"
) -> list[Path]:
    """Write ``count`` synthetic articles made of the real articles' sentences."""
    folder.mkdir(parents=True, exist_ok=True)
    rng, sentences = random.Random(seed), real_sentences()
    paths = []
    for i in range(count):
        path = folder / f"{prefix}_{i:04d}.txt"
        path.write_text(synthetic_article(rng, sentences, i), encoding="utf-8")
        paths.append(path)
    return paths


def expected_chunks(settings: Settings) -> dict[str, list[Chunk]]:
    """What the index must hold now: the chunks of every loadable file of ``data_dir``."""
    from assistant.splitter import split_article
    from assistant.tokens import get_token_counter

    counter = get_token_counter(settings)
    expected = {}
    for path in list_article_files(settings.data_dir):
        try:
            article = load_article(path, settings.max_file_bytes)
        except UserError:
            continue
        expected[path.name] = split_article(
            article, counter.count, settings.chunk_tokens, settings.chunk_overlap_tokens
        )
    return expected


def _stored(settings: Settings) -> tuple[dict[str, list[Chunk]], int, object]:
    """Chunks in Chroma per source, the collection count, and the opened index."""
    from assistant.index import open_index

    forget_chroma_clients()
    index = open_index(settings)
    assert index.store is not None, "no collection in the store"
    grouped: dict[str, list[Chunk]] = {}
    for chunk in index.store.all_chunks():
        grouped.setdefault(chunk.source, []).append(chunk)
    return grouped, index.store.count(), index


def assert_index_matches_files(settings: Settings) -> int:
    """Assert that Chroma, BM25 and the manifest hold exactly the files' chunks; return their count.

    Checks: Chroma ids per source == the ids ``split_article`` gives each file now (no
    missing, extra or duplicate chunk, no orphan source); every stored text is the
    file's ``original[start:end]``; the saved BM25 ids == the Chroma ids, once each; the
    manifest lists each file with its current hash and chunk ids in order.
    """
    from vectorstore import lexical

    expected = expected_chunks(settings)
    stored, count, index = _stored(settings)
    assert set(stored) == set(expected), f"sources differ: {set(stored) ^ set(expected)}"
    all_ids = []
    for source, chunks in expected.items():
        want = {c.chunk_id: c for c in chunks}
        got = {c.chunk_id: c for c in stored[source]}
        assert set(got) == set(want), f"{source}: chunk ids differ"
        for chunk_id, chunk in got.items():
            assert (chunk.start, chunk.end, chunk.text) == (
                want[chunk_id].start,
                want[chunk_id].end,
                want[chunk_id].text,
            )
        all_ids += list(want)
    assert count == len(all_ids) == len(set(all_ids)), "duplicate or extra chunks in Chroma"
    saved = lexical.load(index.lexical_dir)  # type: ignore[attr-defined]
    assert saved is not None, "no saved BM25 index"
    assert len(saved.ids) == len(set(saved.ids)) and set(saved.ids) == set(all_ids), (
        "BM25 ids != Chroma ids"
    )
    manifest = {"files": index.manifest.saved_files()}  # type: ignore[attr-defined]
    assert set(manifest["files"]) == set(expected), "manifest files != loadable files"
    for source, chunks in expected.items():
        entry = manifest["files"][source]
        assert entry["chunk_ids"] == [c.chunk_id for c in chunks], (
            f"{source}: manifest chunk ids stale"
        )
        raw = (settings.data_dir / source).read_bytes()
        assert entry["hash"] == hashlib.sha256(raw).hexdigest(), f"{source}: manifest hash stale"
    return count


def forget_chroma_clients() -> None:
    """Drop Chroma's per-path client cache, so the next open reads what other processes wrote."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_app(assistant: object, settings: Settings) -> Iterator[str]:
    """The real web page over ``assistant``, launched as ``app.py`` does, on a free local port.

    Yields its URL; the server is closed on exit.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.web import build_app, launch_options

    demo = build_app(assistant)  # type: ignore[arg-type]
    port = free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        **launch_options(settings),
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def chat_texts(chat: list[dict]) -> list[tuple[str, str]]:
    """``(role, html)`` of each message of a Chatbot value as ``gradio_client`` returns it."""
    texts = []
    for message in chat:
        content = message["content"]
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        texts.append((message["role"], content))
    return texts


def web_client(url: str, **kwargs: object):  # type: ignore[no-untyped-def]
    """A ``gradio_client.Client`` (one web session) with the client's own telemetry off.

    Its HTTP calls wait up to ``WEB_REQUEST_TIMEOUT_S`` instead of httpx's default 5 s:
    twenty sessions opened at once on a machine whose cores are busy elsewhere can take
    longer than 5 s to get an answer to ``/config``, a test of the page must not fail
    on that, while a page that hangs still fails it.
    """
    from gradio_client import Client

    kwargs.setdefault("httpx_kwargs", {"timeout": WEB_REQUEST_TIMEOUT_S})
    return Client(url, verbose=False, analytics_enabled=False, **kwargs)  # type: ignore[arg-type]
