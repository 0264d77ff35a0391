"""The same index code against a real Chroma server (``chroma run``) instead of embedded Chroma."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.errors import BackendError
from assistant.index import open_index
from assistant.ingest import ingest
from assistant.service import Assistant
from assistant.settings import Settings
from vectorstore.chroma_store import make_client

ARTICLES = 5


@pytest.mark.slow
def test_ingest_ask_and_reingest_work_against_a_chroma_server(
    server_settings: Settings, check_index: Callable
) -> None:
    first = ingest(server_settings)
    assert len(first.added) == ARTICLES and not first.skipped
    index = check_index(server_settings)
    assert not (server_settings.store_dir / "chroma").exists(), "embedded Chroma was used"
    on_server = make_client(server_settings).get_collection(index.name, embedding_function=None)
    assert on_server.count() == index.store.count() == first.chunks

    answer = Assistant(server_settings, index).ask("ماذا قال وانغ يي عن أوكرانيا؟")
    assert answer.retrieved[0].chunk.source == "004_86293efd93ced441.txt"
    for citation in answer.citations:
        text = (server_settings.data_dir / citation.source).read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.quote

    ids_before = index.store.ids_by_source()
    again = ingest(server_settings)
    assert (again.added, again.updated, again.removed) == ([], [], [])
    assert len(again.unchanged) == ARTICLES
    assert open_index(server_settings).store.ids_by_source() == ids_before


@pytest.mark.slow
def test_a_deleted_file_is_removed_from_the_server_collection(
    server_settings: Settings, check_index: Callable
) -> None:
    ingest(server_settings)
    victim = sorted(server_settings.data_dir.glob("*.txt"))[0]
    victim.unlink()
    assert ingest(server_settings).removed == [victim.name]
    assert victim.name not in check_index(server_settings).store.ids_by_source()


@pytest.mark.slow
def test_two_collections_on_one_server_do_not_see_each_other(
    server_settings: Settings, check_index: Callable, tmp_path: Path
) -> None:
    fewer = tmp_path / "fewer"
    shutil.copytree(server_settings.data_dir, fewer)
    (fewer / "000_f7af9a86fe9a915b.txt").unlink()
    other = server_settings.model_copy(
        update={
            "collection": server_settings.collection + "b",
            "data_dir": fewer,
            "store_dir": tmp_path / "s2",
        }
    )
    ingest(server_settings)
    ingest(other)
    assert len(check_index(server_settings).manifest.files) == ARTICLES
    assert len(check_index(other).manifest.files) == ARTICLES - 1


def test_a_server_that_is_not_answering_is_a_one_line_backend_error(settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free now, and nothing will listen on it
    started = time.perf_counter()
    with pytest.raises(BackendError) as caught:
        make_client(settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port}))
    assert time.perf_counter() - started < 45  # refused at once; 45 s only catches a hang
    message = str(caught.value)
    assert message.startswith(f"Chroma server at 127.0.0.1:{port} is not answering")
    assert "chroma run" in message and "\n" not in message
