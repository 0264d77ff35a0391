"""Shared fixtures: temporary corpora and stores, offline settings, a tiny model, a Chroma server.

Everything runs offline on temporary folders: no test touches ``data/articles`` (it is
copied) or ``store/``, and no fixture needs the network or the model hub.

Fixtures (function-scoped unless said otherwise):

- ``articles_dir``: a temp folder holding copies of the five bundled articles.
- ``settings``: :class:`Settings` on ``articles_dir`` and a fresh temp ``store_dir``, with
  the weight-free ``hashing`` embedder, downloads off, no LLM, embedded Chroma. Derive
  variants with ``settings.model_copy(update={...})``.
- ``built_index``: ``settings``'s articles ingested (real Chroma + BM25), opened for
  reading as an :class:`assistant.index.Index`.
- ``offline_assistant``: an :class:`assistant.service.Assistant` over ``built_index``
  with no LLM (extractive, cited answers).
- ``shared_settings`` / ``shared_index`` (session): the same, built once per session for
  tests that only *read* (retrieval, answers). Never ingest into it or edit its files.
- ``e5_settings`` (session): like ``shared_settings`` but indexed by the bundled e5 engine
  (``embedder="e5-engine"``); read only. A copy of ``e5_template`` (session, shared by all
  xdist workers: the bundled articles indexed by e5 through the CLI once per run, ~30 s);
  ``copy_e5_store(e5_template, store_dir)`` gives a test its own writable copy.
- ``check_index``: a function ``check_index(settings) -> Index`` that asserts Chroma, the
  saved BM25 index and the manifest hold exactly the chunks the files of
  ``settings.data_dir`` give now, and returns the reopened index.
- ``run_cli``: a function ``run_cli(*args, settings=..., env=...)`` that runs
  ``python -m assistant ARGS`` in a subprocess with ``ASSISTANT_*`` variables taken from
  ``settings`` (hashing, downloads off, ``HF_HUB_OFFLINE=1``; ``env`` adds or overrides
  variables) and returns the ``CompletedProcess`` (text mode). ``cli_runner`` (session)
  is the same as ``cli_runner(settings, *args, ...)`` for module-scoped fixtures.
- ``tiny_st_model`` (session): path of a tiny sentence-transformers model (WordPiece
  trained on the bundled articles + a 2-layer, 64-dim BERT + mean pooling) built and
  saved locally; load it with ``Settings(embedder=str(tiny_st_model))``. Importing
  sentence-transformers costs ~10 s: mark tests that use it ``@pytest.mark.slow``.
- ``chroma_server`` (session): a real ``chroma run`` subprocess on a free port of
  127.0.0.1, as a :class:`ChromaServer` (``host``, ``port``, ``path``); stopped at the
  end of the session. ``server_settings``: ``settings`` pointed at it, with a collection
  name unique to the test so tests sharing the server never see each other's chunks.

Helpers defined here (fixtures are the supported way in): ``BUNDLED_ARTICLES``,
``ARTICLE_NAMES``, ``build_tiny_sentence_transformer``, ``free_port``, ``cli_env``,
``assert_index_consistent``. The caller's ``ASSISTANT_*``, ``HF_*``, ``TRANSFORMERS_*``,
``OPENAI_*``, proxy and similar variables (:data:`ISOLATED_PREFIXES`) are removed when pytest
starts and again before every test (an autouse fixture), so a developer's shell cannot
change an outcome; the header of the run names the ones removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from tests.helpers_chroma import chroma_answers

BUNDLED_ARTICLES = PROJECT_ROOT / "data" / "articles"
ARTICLE_NAMES = tuple(sorted(p.name for p in BUNDLED_ARTICLES.glob("*.txt")))
CHROMA_START_TIMEOUT_S = 120.0  # `chroma run` starts in seconds; a loaded machine needs more


# Variables of the caller's shell that change what the product or its libraries do: our
# settings, the model hub and its libraries, the OpenAI/Ollama clients, tiktoken's cache,
# Gradio's and Chroma's own settings, and proxies (which httpx and requests obey).
ISOLATED_PREFIXES = (
    "ASSISTANT_",
    "HF_",
    "HUGGINGFACE_",
    "TRANSFORMERS_",
    "SENTENCE_TRANSFORMERS_",
    "OPENAI_",
    "OLLAMA_",
    "TIKTOKEN_",
    "DATA_GYM_",
    "GRADIO_SERVER_",
    "CHROMA_",
)
PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"})


def is_isolated_variable(name: str) -> bool:
    """True if the variable ``name`` of the caller's environment must not reach a test."""
    return name.upper().startswith(ISOLATED_PREFIXES) or name.lower() in PROXY_VARIABLES


def _clear_isolated_variables(delete: Callable[[str], object]) -> list[str]:
    """Delete (with ``delete``) every isolated variable of ``os.environ``; their names."""
    names = sorted(name for name in os.environ if is_isolated_variable(name))
    for name in names:
        delete(name)
    return names


@pytest.fixture
def fallback_notes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fresh list of the embedder's fallback reasons (and "said once" memory) for this test."""
    from vectorstore import embedders

    reasons: list[str] = []
    monkeypatch.setattr(embedders, "FALLBACK_REASONS", reasons)
    monkeypatch.setattr(embedders, "_FALLBACK_NOTED", set())
    return reasons


def pytest_configure(config: pytest.Config) -> None:
    """Clear the caller's isolated variables before anything is imported or collected, so
    module-level code, session fixtures and subprocesses (a Chroma server, the CLI) never
    see them either (each xdist worker runs this too)."""
    config.stash[_CLEARED_KEY] = _clear_isolated_variables(os.environ.pop)
    # Subprocesses (the CLI, app.py, workers) import this checkout, whatever is installed.
    inherited = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), inherited]))


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say which variables of the caller's environment the tests do not see."""
    cleared = config.stash.get(_CLEARED_KEY, [])
    return f"environment cleared for the tests: {', '.join(cleared)}" if cleared else None


_CLEARED_KEY = pytest.StashKey[list[str]]()


# Workers for ``pytest -n auto``: one per core plus one. Measured on 2 cores, the whole run
# kept the cores busy only ~3/4 of its wall time: a worker often waits on something that is
# not its own CPU work (a lease expiring, a server or app.py starting, a browser rendering,
# a subprocess it polls), and an extra worker fills those waits. PYTEST_XDIST_AUTO_NUM_WORKERS
# (pytest-xdist's own variable) or an explicit ``-n N`` still decide when given.
EXTRA_AUTO_WORKERS = 1


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: the usable cores plus :data:`EXTRA_AUTO_WORKERS` (see above)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # pytest-xdist reads it
    return len(os.sched_getaffinity(0)) + EXTRA_AUTO_WORKERS


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules with more ``slow`` tests first (stable order otherwise), for ``pytest -n auto``.

    ``--dist loadfile`` (pyproject.toml) keeps each module on one worker, in order, so its
    module-scoped set-up (a served page, a browser, an index built through the CLI) is
    built once; sending the long modules (browser, crash trials) out first keeps one of
    them from ending a run alone on one worker. xdist's own reordering (by number of
    tests) is turned off. (``--dist loadgroup`` would allow finer groups, but with pytest
    9.2 and xdist 3.8 its ``xdist_group`` markers change nothing: xdist writes the group
    into ``item._nodeid``, which pytest 9.2 no longer reads.)
    """
    slow: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        slow[module] = slow.get(module, 0) + (item.get_closest_marker("slow") is not None)
    items.sort(key=lambda item: -slow[item.nodeid.split("::")[0]])


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees ``HF_*``, ``TRANSFORMERS_*``, ``ASSISTANT_*``, ``OPENAI_*``, proxy or the
    other isolated variables, even ones set by an earlier test or a library at run time;
    a test that needs one sets it with ``monkeypatch``. (E.g. ``HF_HUB_OFFLINE=1`` in the
    shell turned off tiktoken's download and changed a test's outcome.)"""
    _clear_isolated_variables(monkeypatch.delenv)


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A temp folder with copies of the five bundled articles (safe to edit or delete)."""
    folder = tmp_path / "articles"
    shutil.copytree(BUNDLED_ARTICLES, folder)
    return folder


def offline_settings(data_dir: Path, store_dir: Path) -> Settings:
    """Offline settings for tests: hashing embedder, no downloads, no LLM, embedded Chroma."""
    return Settings(
        data_dir=data_dir,
        store_dir=store_dir,
        embedder="hashing",
        allow_downloads=False,
        llm_provider="none",
        chroma_host=None,
        log_level="WARNING",
    )


def assistant_over(root: Path, articles: dict[str, str]):  # type: ignore[no-untyped-def]
    """An offline assistant (hashing, no LLM) over ``articles`` ({file name: text}) written
    into ``root/articles`` here and ingested into a fresh store in ``root/store``."""
    from assistant.index import open_index
    from assistant.ingest import ingest
    from assistant.service import Assistant

    settings = offline_settings(_write_articles(root, articles), root / "store")
    ingest(settings)
    return Assistant(settings, open_index(settings), llm=None)


def e5_assistant_over(root: Path, articles: dict[str, str]):  # type: ignore[no-untyped-def]
    """The same with the bundled e5 engine (``Assistant.from_settings``, which indexes the
    articles); the calling test is skipped where the engine cannot run."""
    from assistant.service import Assistant

    settings = offline_settings(_write_articles(root, articles), root / "store")
    assistant = Assistant.from_settings(settings.model_copy(update={"embedder": "e5-engine"}))
    if not assistant.index.embedder.id.startswith("e5-engine"):
        pytest.skip(f"the bundled e5 engine is not usable here ({assistant.index.embedder.id})")
    return assistant


def _write_articles(root: Path, articles: dict[str, str]) -> Path:
    """``root/articles`` holding ``articles`` ({file name: text})."""
    folder = root / "articles"
    folder.mkdir()
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def settings(tmp_path: Path, articles_dir: Path) -> Settings:
    """Offline settings: ``articles_dir``, a fresh store, hashing embedder, no downloads, no LLM."""
    return offline_settings(articles_dir, tmp_path / "store")


@pytest.fixture
def built_index(settings: Settings):  # type: ignore[no-untyped-def]
    """The articles of ``settings`` ingested into a real Chroma + BM25 store, opened to read."""
    from assistant.index import open_index
    from assistant.ingest import ingest

    ingest(settings)
    return open_index(settings)


@pytest.fixture
def offline_assistant(settings: Settings, built_index):  # type: ignore[no-untyped-def]
    """An :class:`Assistant` over ``built_index`` without an LLM (extractive answers)."""
    from assistant.service import Assistant

    return Assistant(settings, built_index, llm=None)


@pytest.fixture(scope="session")
def shared_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Session-wide offline settings whose store holds the bundled articles (read only)."""
    from assistant.ingest import ingest

    root = tmp_path_factory.mktemp("shared")
    shutil.copytree(BUNDLED_ARTICLES, root / "articles")
    shared = offline_settings(root / "articles", root / "store")
    ingest(shared)
    return shared


@pytest.fixture(scope="session")
def shared_index(shared_settings: Settings):  # type: ignore[no-untyped-def]
    """The session-wide index of the bundled articles, opened to read (do not write)."""
    from assistant.index import open_index

    return open_index(shared_settings)


def _expected_chunk_ids(settings: Settings) -> dict[str, list[str]]:
    """Chunk ids each loadable file of ``settings.data_dir`` gives now, in reading order."""
    from tests.helpers_reliability import expected_chunks

    return {name: [c.chunk_id for c in chunks] for name, chunks in expected_chunks(settings).items()}


def assert_index_consistent(settings: Settings):  # type: ignore[no-untyped-def]
    """Assert Chroma == saved BM25 == manifest == the files' chunks now; return the index."""
    from assistant.index import open_index
    from vectorstore import lexical

    expected = _expected_chunk_ids(settings)
    index = open_index(settings)
    assert index.store is not None, "no collection in the store"
    stored = index.store.ids_by_source()
    assert {s: sorted(i) for s, i in stored.items()} == {s: sorted(i) for s, i in expected.items()}
    all_ids = [i for ids in expected.values() for i in ids]
    assert index.store.count() == len(all_ids) == len(set(all_ids)), "extra or duplicate chunks"
    saved = lexical.load(index.lexical_dir)
    assert saved is not None, "no saved BM25 index"
    assert sorted(saved.ids) == sorted(all_ids), "BM25 ids differ from Chroma ids"
    manifest = index.manifest.saved_files()  # the manifest file, or a Chroma server's records
    assert {s: e["chunk_ids"] for s, e in manifest.items()} == expected, "manifest is stale"
    for source, entry in manifest.items():
        raw = (settings.data_dir / source).read_bytes()
        assert entry["hash"] == hashlib.sha256(raw).hexdigest(), f"{source}: manifest hash is stale"
    return index


@pytest.fixture
def check_index() -> Callable[[Settings], object]:
    """``check_index(settings)``: assert the store matches the files (see module doc)."""
    return assert_index_consistent


def cli_env(settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment of a ``python -m assistant`` subprocess that uses ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(
        {
            "ASSISTANT_DATA_DIR": str(settings.data_dir),
            "ASSISTANT_STORE_DIR": str(settings.store_dir),
            "ASSISTANT_EMBEDDER": settings.embedder,
            "ASSISTANT_COLLECTION": settings.collection,
            "ASSISTANT_ALLOW_DOWNLOADS": "true" if settings.allow_downloads else "false",
            "ASSISTANT_LLM_PROVIDER": settings.llm_provider,
            "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
    )
    if settings.chroma_host:
        env["ASSISTANT_CHROMA_HOST"] = settings.chroma_host
        env["ASSISTANT_CHROMA_PORT"] = str(settings.chroma_port)
    env.update(extra or {})
    return env


def _run_cli(
    settings: Settings, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=cli_env(settings, env),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def cli_runner() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli_runner(settings, *args, env=None, timeout=120)``: ``python -m assistant ARGS``
    with ``settings`` as ``ASSISTANT_*`` variables (usable from module-scoped fixtures)."""
    return _run_cli


@pytest.fixture
def run_cli(settings: Settings) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli(*args, settings=settings, env=None, timeout=120)`` runs ``python -m assistant``."""

    def run(
        *args: str,
        settings: Settings = settings,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        return _run_cli(settings, *args, env=env, timeout=timeout)

    return run


def build_tiny_sentence_transformer(folder: Path, texts: list[str]) -> Path:
    """Save a tiny sentence-transformers model into ``folder`` and return it: a WordPiece
    tokenizer trained on ``texts`` (vocab ~2000), a randomly initialised BERT (2 layers,
    64 dims, seed 0) and mean pooling. Builds in well under a second once imported."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=2000, special_tokens=specials, show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    hf_folder = folder.with_name(folder.name + "-hf")
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=256,
    ).save_pretrained(hf_folder)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=256,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(hf_folder)
    transformer = Transformer(str(hf_folder), max_seq_length=256)
    pooling = Pooling(64, pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(folder))
    shutil.rmtree(hf_folder)
    return folder


@pytest.fixture(scope="session")
def tiny_st_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of a tiny sentence-transformers model built from the bundled articles (session)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(BUNDLED_ARTICLES.glob("*.txt"))]
    return build_tiny_sentence_transformer(
        tmp_path_factory.mktemp("models") / "tiny-arabic-bert", texts
    )


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ChromaServer:
    """A running ``chroma run`` subprocess."""

    host: str
    port: int
    path: Path
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real Chroma server (``chroma run --path TMP --port FREE``) for the session."""
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        pytest.skip(f"the chroma CLI is not installed next to {sys.executable}")
    path = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = open(path.parent / f"chroma-server-{port}.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + CHROMA_START_TIMEOUT_S
        while not chroma_answers("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"chroma run did not answer within {CHROMA_START_TIMEOUT_S} s (see {log.name})"
                )
            time.sleep(0.2)
        yield ChromaServer("127.0.0.1", port, path, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture
def server_settings(settings: Settings, chroma_server: ChromaServer) -> Settings:
    """``settings`` using ``chroma_server``, with a collection name unique to this test."""
    return settings.model_copy(
        update={
            "chroma_host": chroma_server.host,
            "chroma_port": chroma_server.port,
            "collection": f"t{uuid.uuid4().hex[:12]}",
        }
    )


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temp folder of this test run shared by all its pytest-xdist workers (the parent of
    each worker's base temp folder; the base temp folder itself without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_file``: one xdist worker at a time."""
    with open(lock_file, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def e5_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder ``articles/`` + ``store/``: the bundled articles indexed by the bundled e5
    engine through the real CLI (``python -m assistant ingest``), built ONCE per test run
    and shared by every xdist worker (the first worker that needs it builds it under a file
    lock; a worker that needs it meanwhile waits). Never open it: copy it (see
    :func:`copy_e5_store`). An e5 ingest of the five articles embeds ~80 passages and every
    quotable sentence: ~30-40 CPU-s that each user of it used to pay again."""
    template = run_folder(tmp_path_factory) / "e5-template"
    with exclusive(template.with_suffix(".lock")):
        if not (template / "built").exists():
            shutil.rmtree(template, ignore_errors=True)  # a build a failed worker left half done
            shutil.copytree(BUNDLED_ARTICLES, template / "articles")
            e5 = offline_settings(template / "articles", template / "store").model_copy(
                update={"embedder": "e5-engine"}
            )
            done = _run_cli(e5, "ingest", timeout=900)
            assert done.returncode == 0, done.stderr
            (template / "built").touch()
    return template


def copy_e5_store(template: Path, store_dir: Path) -> None:
    """Copy the e5 template's store (see ``e5_template``) to ``store_dir``, a folder that
    does not exist yet; it then serves any copy of the bundled articles (the manifest
    records file names and contents, not folders)."""
    shutil.copytree(template / "store", store_dir)


@pytest.fixture(scope="session")
def e5_settings(tmp_path_factory: pytest.TempPathFactory, e5_template: Path) -> Settings:
    """Session-wide settings whose store holds the bundled articles indexed by the bundled e5
    engine (``embedder="e5-engine"``; read only): a copy of ``e5_template``, so the ~80
    passages are embedded once per run, not once per worker and fixture."""
    root = tmp_path_factory.mktemp("e5-shared")
    shutil.copytree(BUNDLED_ARTICLES, root / "articles")
    copy_e5_store(e5_template, root / "store")
    return offline_settings(root / "articles", root / "store").model_copy(
        update={"embedder": "e5-engine"}
    )
