"""The command line as a user runs it: ``python -m assistant ingest|status|ask`` in a subprocess,
offline (hashing embedder, no LLM), with the public JSON shape and one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import PROJECT_ROOT, Settings

BUNDLED_ARTICLES = PROJECT_ROOT / "data" / "articles"
ARTICLE_NAMES = sorted(p.name for p in BUNDLED_ARTICLES.glob("*.txt"))
QUESTION = "ماذا قال وانغ يي عن أوكرانيا؟"
Run = Callable[..., subprocess.CompletedProcess[str]]


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single ``error: …`` line of a refused command (exit 2, nothing else on stderr)."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture(scope="module")
def cli_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a store that ``cli_ingests`` builds through the CLI (shared by this module)."""
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(BUNDLED_ARTICLES, root / "articles")
    return Settings(
        data_dir=root / "articles",
        store_dir=root / "store",
        embedder="hashing",
        allow_downloads=False,
    )


@pytest.fixture(scope="module")
def cli_ingests(cli_runner: Run, cli_settings: Settings) -> list[subprocess.CompletedProcess[str]]:
    """Two runs of ``python -m assistant ingest`` on a fresh store."""
    return [cli_runner(cli_settings, "ingest") for _ in range(2)]


@pytest.fixture(scope="module")
def asked(cli_runner: Run, cli_settings: Settings, cli_ingests: list) -> dict[str, Any]:
    """The parsed ``ask --json`` output for :data:`QUESTION`."""
    done = cli_runner(cli_settings, "ask", QUESTION, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ingest_prints_a_one_line_summary_and_no_debug_noise(cli_ingests: list) -> None:
    first = cli_ingests[0]
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("5 added, 0 updated, 0 removed, 0 unchanged, 0 skipped;")
    assert len(first.stdout.splitlines()) == 1
    assert "Traceback" not in first.stderr and "DEBUG" not in first.stderr


def test_a_second_cli_ingest_finds_everything_unchanged(cli_ingests: list) -> None:
    second = cli_ingests[1]
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("0 added, 0 updated, 0 removed, 5 unchanged, 0 skipped;")


def status_fields(stdout: str) -> dict[str, str]:
    """The ``Label   value`` block that opens ``status``; asserts the values are aligned."""
    block = stdout.split("\n\n")[0].splitlines()
    column = len(block[0]) - len(block[0].split("  ")[-1].lstrip())
    fields: dict[str, str] = {}
    for line in block:
        label, value = line[:column].strip(), line[column:]
        assert value and not value[0].isspace(), f"value not aligned: {line!r}"
        if label:
            fields[label] = value
        else:  # a wrapped value goes on under its own column
            fields[list(fields)[-1]] += " " + value
    return fields


def test_status_lists_the_mode_the_counter_and_every_article(
    cli_runner: Run, cli_settings: Settings, cli_ingests: list, tmp_path: Path
) -> None:
    done = cli_runner(
        cli_settings, "status", env={"COLUMNS": "80", "TIKTOKEN_CACHE_DIR": str(tmp_path)}
    )
    assert done.returncode == 0, done.stderr
    fields = status_fields(done.stdout)
    assert fields["Articles"] == "5" and fields["Chunks"] == "25"
    assert fields["Embedder"] == "hashing-ngram-v1-512"
    assert fields["LLM"] == "none (offline: quoted answers)"  # the mode in words, as the web banner
    assert fields["Token counter"] == "tiktoken cl100k_base (bundled, verified)"
    assert "Embedder fallback" not in fields
    for name in ARTICLE_NAMES:
        assert name in done.stdout
    assert "2024-04-29" in done.stdout


def test_status_reads_like_a_tool_no_python_reprs_full_titles_wrapped_between_words(
    cli_runner: Run, cli_settings: Settings, cli_ingests: list
) -> None:
    from assistant.documents import load_article

    done = cli_runner(cli_settings, "status", env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    assert not any(mark in done.stdout for mark in ("{", "}", "': '", "None"))
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("File "))
    title_column = header.index("Title")
    table = lines[lines.index(header) :]
    assert all(len(line) <= 80 for line in table)
    words = " ".join(line[title_column:] for line in table[1:]).split()
    titles = [
        load_article(cli_settings.data_dir / name, cli_settings.max_file_bytes).title
        for name in ARTICLE_NAMES
    ]
    assert words == " ".join(titles).split()  # every title whole, in order, no word cut
    assert sum(len(line) > title_column and not line[0].isspace() for line in table[1:]) == 5


def test_status_json_gives_the_mode_and_the_files(
    cli_runner: Run, cli_settings: Settings, cli_ingests: list
) -> None:
    done = cli_runner(cli_settings, "status", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["mode"] == {"embedder": "hashing-ngram-v1-512", "llm": "none"}
    assert [f["source"] for f in status["files"]] == ARTICLE_NAMES


@pytest.mark.parametrize("command", [[], ["ingest"], ["status"], ["ask"], ["summarize"], ["chat"]])
def test_help_is_plain_words_and_every_option_has_one(run_cli: Run, command: list[str]) -> None:
    done = run_cli(*command, "--help")
    assert done.returncode == 0, done.stderr
    assert "`" not in done.stdout and ":class:" not in done.stdout
    options = [line.split() for line in done.stdout.splitlines() if line.startswith("  -")]
    assert options and all(len(words) > 1 for words in options), done.stdout  # a help text each


def test_the_embedder_fallback_notice_is_said_once_per_store_and_stays_in_status_and_mode(
    run_cli: Run, settings: Settings, tmp_path: Path, e5_template: Path
) -> None:
    from tests.conftest import copy_e5_store

    # The store already holds the articles indexed by the e5 engine the missing model falls
    # back to (the run's shared template), so the asks below answer without embedding the
    # five articles again; building that store on first use is test_e5_engine's subject.
    copy_e5_store(e5_template, settings.store_dir)
    missing = settings.model_copy(update={"embedder": str(tmp_path / "no-such-model")})
    notice = "Embedding model unavailable: model folder"
    info = {"ASSISTANT_LOG_LEVEL": "INFO"}  # the note is INFO when the e5 engine takes over
    first = run_cli("ask", QUESTION, settings=missing, env=info)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count(notice) == 1
    again = [
        run_cli(*args, settings=missing, env=info)
        for args in (["ask", QUESTION, "--json"], ["status"])
    ]
    assert all(done.returncode == 0 and notice not in done.stderr for done in again)
    fields = status_fields(again[1].stdout)
    assert json.loads(again[0].stdout)["mode"]["embedder"] == fields["Embedder"]
    assert fields["Embedder fallback"].startswith("model folder ")
    other_store = missing.model_copy(update={"store_dir": tmp_path / "other-store"})
    assert notice in run_cli("status", settings=other_store, env=info).stderr


def test_ask_json_has_exactly_the_public_keys(asked: dict[str, Any]) -> None:
    assert set(asked) == {
        "question",
        "answer",
        "language",
        "abstained",
        "citations",
        "retrieved",
        "mode",
    }
    assert asked["question"] == QUESTION and asked["language"] == "ar"
    assert asked["abstained"] is False and asked["answer"]
    assert asked["mode"] == {"embedder": "hashing-ngram-v1-512", "llm": "none"}
    assert asked["citations"] and asked["retrieved"]
    for citation in asked["citations"]:
        assert set(citation) == {"source", "quote", "start", "end"}
    for entry in asked["retrieved"]:
        assert set(entry) == {"source", "chunk_id", "score"}


def test_ask_json_retrieves_distinct_chunks_in_rank_order_004_first(asked: dict[str, Any]) -> None:
    retrieved = asked["retrieved"]
    ids = [r["chunk_id"] for r in retrieved]
    assert len(ids) == len(set(ids))
    scores = [r["score"] for r in retrieved]
    assert scores == sorted(scores, reverse=True)
    assert retrieved[0]["source"] == "004_86293efd93ced441.txt"


def test_ask_json_quotes_are_the_exact_text_of_the_cited_files(
    asked: dict[str, Any], cli_settings: Settings
) -> None:
    for citation in asked["citations"]:
        text = (cli_settings.data_dir / citation["source"]).read_text(encoding="utf-8")
        assert text[citation["start"] : citation["end"]] == citation["quote"]
    for n in range(1, len(asked["citations"]) + 1):
        assert f"[{n}]" in asked["answer"]


def test_ask_without_json_prints_the_answer_numbered_sources_and_mode(
    cli_runner: Run, cli_settings: Settings, cli_ingests: list
) -> None:
    done = cli_runner(cli_settings, "ask", "ماذا", "قال", "وانغ", "يي", "عن", "أوكرانيا؟")
    assert done.returncode == 0, done.stderr
    assert "[1] 004_86293efd93ced441.txt" in done.stdout
    assert done.stdout.rstrip().endswith("(mode: embedder hashing-ngram-v1-512, llm none)")


@pytest.mark.parametrize(
    "question",
    ["", "   ", "\u200f\u202e", "\t\n"],
    ids=["empty", "spaces", "bidi-only", "tab-newline"],
)
def test_an_empty_question_exits_2_with_one_line_before_touching_the_store(
    run_cli: Run, settings: Settings, question: str
) -> None:
    done = run_cli("ask", question, "--json")
    assert (
        one_line_error(done)
        == "error: The question is empty. Ask about the articles, in Arabic or English."
    )
    assert done.stdout == ""
    assert not settings.store_dir.exists()


@pytest.mark.parametrize("question", ["???", "🙂", "؟!"])
def test_a_question_without_words_exits_2_saying_so_in_english(
    run_cli: Run, settings: Settings, question: str
) -> None:
    """It used to be searched and refused in Arabic ("لا تذكر المقالات ذلك"): with no
    letters, the reply language fell to Arabic whatever the reader writes."""
    done = run_cli("ask", question)
    assert one_line_error(done).startswith("error: The question has no words")
    assert not settings.store_dir.exists()


def test_an_over_long_question_exits_2_with_one_line(run_cli: Run) -> None:
    done = run_cli("ask", "س" * 2001, env={"ASSISTANT_MAX_QUESTION_CHARS": "2000"})
    assert "too long" in one_line_error(done)


@pytest.mark.parametrize("how", ["--data", "env-ingest", "env-ask"])
def test_a_data_folder_that_does_not_exist_exits_2_with_one_line(
    run_cli: Run, settings: Settings, tmp_path: Path, how: str
) -> None:
    missing = tmp_path / "no such folder"
    if how == "--data":
        done = run_cli("ingest", "--data", str(missing))
    else:
        command = ["ingest"] if how == "env-ingest" else ["ask", QUESTION]
        done = run_cli(*command, settings=settings.model_copy(update={"data_dir": missing}))
    assert one_line_error(done) == f"error: {missing}: the folder does not exist"


def test_bad_files_are_reported_one_line_each_and_the_rest_is_ingested(
    run_cli: Run, settings: Settings
) -> None:
    (settings.data_dir / "empty.txt").write_bytes(b"")
    (settings.data_dir / "image.txt").write_bytes(b"\x89PNG\x00\x00\x00")
    (settings.data_dir / "cp1256.txt").write_bytes("قال لافروف".encode("cp1256"))
    done = run_cli("ingest")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("5 added, 0 updated, 0 removed, 0 unchanged, 3 skipped;")
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped: ")]
    assert [line.split(":")[1].strip() for line in skipped] == [
        "cp1256.txt",
        "empty.txt",
        "image.txt",
    ]
    assert "skipped: image.txt: it is a binary file, not text" in skipped
    assert all(line.count("skipped") == 1 for line in skipped), skipped  # said once a line
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ASSISTANT_CHUNK_TOKENS", "abc"),
        ("ASSISTANT_TOP_K", "0"),
        ("ASSISTANT_LLM_PROVIDER", "gpt-9"),
    ],
)
def test_an_invalid_setting_exits_2_with_one_line_naming_the_variable(
    run_cli: Run, variable: str, value: str
) -> None:
    line = one_line_error(run_cli("status", env={variable: value}))
    assert line.startswith(f"error: invalid setting: {variable}={value!r}: ")


def test_a_store_of_another_embedder_is_refused_by_ask_and_rebuilt_by_ingest(
    run_cli: Run, settings: Settings
) -> None:
    from assistant.index import index_name
    from vectorstore.chroma_store import make_client
    from vectorstore.embedders import HashingEmbedder

    name = index_name(settings, HashingEmbedder())
    make_client(settings).create_collection(
        name,
        embedding_function=None,
        metadata={"embedder": "st-other-model-384", "dim": 384, "schema": 1},
    )
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # let go of the store: the CLI processes own it now
    line = one_line_error(run_cli("ask", QUESTION))
    assert line.startswith(f"error: collection {name} was built by st-other-model-384 (384 dims)")
    assert "ingest --rebuild" in line

    done = run_cli("ingest")
    assert done.returncode == 0, done.stderr
    assert f"note: collection {name} was built by st-other-model-384" in done.stderr
    assert done.stdout.startswith("5 added")
    assert run_cli("ask", QUESTION).returncode == 0


def test_status_on_a_store_built_by_another_embedder_says_which_and_how_to_go_on(
    run_cli: Run, settings: Settings
) -> None:
    """It used to say "No articles are indexed yet" while ``ask`` refused for another reason."""
    assert run_cli("ingest").returncode == 0  # hashing
    other = settings.model_copy(update={"embedder": "e5-engine"})
    done = run_cli("status", settings=other, env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    if "e5-engine" not in done.stdout.split("LLM")[0]:
        pytest.skip("the bundled e5 engine is not usable here")
    said = " ".join(done.stdout.split())
    assert "No articles are indexed yet" not in said
    assert "this store holds 25 passages by hashing-ngram-v1-512" in said
    assert "python -m assistant ingest" in said and "ASSISTANT_EMBEDDER" in said
    as_json = json.loads(run_cli("status", "--json", settings=other).stdout)
    assert as_json["chunks"] == 0 and as_json["other_embedders"] == {"hashing-ngram-v1-512": 25}
    assert json.loads(run_cli("status", "--json").stdout)["other_embedders"] is None


def test_the_readme_settings_table_is_what_the_settings_command_prints(run_cli: Run) -> None:
    """The README says ``python -m assistant settings`` prints its table; a default or a
    description changed in code must not leave the README stale (it did for two rows)."""
    printed = run_cli("settings").stdout.splitlines()
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    rows = [line for line in printed if line.startswith("| `ASSISTANT_")]
    assert len(rows) > 20
    assert [line for line in readme if line.startswith("| `ASSISTANT_")] == rows


def test_asking_over_an_empty_articles_folder_names_the_folder_not_just_ingest(
    run_cli: Run, settings: Settings, tmp_path: Path
) -> None:
    """``ingest`` alone cannot help when the folder has no article: the message says so."""
    empty = tmp_path / "no-articles"
    empty.mkdir()
    bare = settings.model_copy(update={"data_dir": empty})
    message = one_line_error(run_cli("ask", "Who won the title?", settings=bare))
    assert message == (
        f"error: The index is empty and the articles folder {empty} holds no .txt article: "
        "put articles there, then run `python -m assistant ingest`."
    )
    gone = settings.model_copy(update={"data_dir": tmp_path / "missing"})
    assert "does not exist" in one_line_error(run_cli("ask", "Who won the title?", settings=gone))
