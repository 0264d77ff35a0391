"""Token counting: tiktoken only from a genuine cached file or an allowed download, else a named
fallback that never waits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import tokens
from assistant.settings import PROJECT_ROOT, Settings
from assistant.tokens import FALLBACK, get_token_counter, tiktoken_cache_file

BUNDLED_ARTICLES = PROJECT_ROOT / "data" / "articles"


@pytest.fixture
def empty_tiktoken_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty tiktoken cache folder and a cold counter cache, restored afterwards."""
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)
    tokens._counter.cache_clear()
    yield cache
    tokens._counter.cache_clear()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record (and refuse) every HTTP request tiktoken or the reachability check would make."""
    import requests

    from assistant import netcheck

    attempts: list[str] = []

    def refuse(url: str, *args: object, **kwargs: object) -> None:
        attempts.append(url)
        raise requests.ConnectionError(f"test: no network for {url}")

    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(
        netcheck, "reachable", lambda url, timeout_s=1.5: attempts.append(url) or False
    )
    return attempts


@pytest.mark.parametrize("encoding", ["cl100k_base", "o200k_base"])
def test_without_a_cached_file_and_with_downloads_off_the_fallback_is_used_at_once(
    empty_tiktoken_cache: Path, no_network: list[str], encoding: str
) -> None:
    started = time.perf_counter()
    counter = get_token_counter(Settings(tiktoken_encoding=encoding, allow_downloads=False))
    assert time.perf_counter() - started < 1.0
    assert counter is FALLBACK
    assert counter.name.startswith("approximate") and "no tiktoken file" in counter.name
    assert no_network == []


def test_with_downloads_on_but_the_host_unreachable_the_fallback_is_used_quickly(
    empty_tiktoken_cache: Path, no_network: list[str]
) -> None:
    started = time.perf_counter()
    counter = get_token_counter(Settings(allow_downloads=True))
    assert time.perf_counter() - started < 1.0
    assert counter is FALLBACK
    assert no_network == ["https://openaipublic.blob.core.windows.net"]


def test_hf_hub_offline_forbids_the_tiktoken_download_too(
    empty_tiktoken_cache: Path, no_network: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert get_token_counter(Settings(allow_downloads=True)) is FALLBACK
    assert no_network == []


def test_a_corrupt_cached_file_is_neither_used_nor_deleted_nor_replaced_when_downloads_are_off(
    empty_tiktoken_cache: Path, no_network: list[str]
) -> None:
    cached = tiktoken_cache_file("cl100k_base")
    assert cached is not None and cached.parent == empty_tiktoken_cache
    cached.write_bytes(b"not an encoding file\n")
    started = time.perf_counter()
    counter = get_token_counter(Settings(allow_downloads=False))
    assert time.perf_counter() - started < 1.0
    assert counter is FALLBACK
    assert cached.read_bytes() == b"not an encoding file\n"
    assert no_network == []


def test_a_genuine_cached_file_makes_tiktoken_the_named_counter(
    empty_tiktoken_cache: Path, no_network: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real file cannot be had offline: a file whose hash we declare genuine stands in,
    and tiktoken's loader is replaced by one that reads it (one token per byte)."""
    import hashlib

    import tiktoken

    cached = tiktoken_cache_file("cl100k_base")
    assert cached is not None
    cached.write_bytes(b"stand-in encoding\n")
    monkeypatch.setitem(
        tokens._ENCODING_SHA256, "cl100k_base", hashlib.sha256(cached.read_bytes()).hexdigest()
    )

    class ByteEncoding:
        def encode(self, text: str, disallowed_special: object = ()) -> list[int]:
            return list(text.encode("utf-8"))

    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: ByteEncoding())
    counter = get_token_counter(Settings(allow_downloads=False))
    assert counter.name == "tiktoken:cl100k_base"
    assert counter.count("قال") == 6
    assert no_network == []


def test_an_unknown_encoding_has_no_cache_file() -> None:
    assert tiktoken_cache_file("no_such_encoding") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   \n\t", 0),
        ("ق", 1),
        ("قال", 1),
        ("وزير", 1),
        ("الخارجية", 2),
        ("قال.", 2),
        ("Wang Yi قال", 3),
        ("2024", 1),
        ("«نعم»", 3),
    ],
    ids=[
        "empty",
        "blank",
        "one-char",
        "word",
        "word4",
        "long-word",
        "mark",
        "mixed",
        "digits",
        "quotes",
    ],
)
def test_the_fallback_counts_about_one_token_per_3_5_characters_of_each_word_or_mark(
    text: str, expected: int
) -> None:
    assert FALLBACK.count(text) == expected


@pytest.mark.parametrize("name", sorted(p.name for p in BUNDLED_ARTICLES.glob("*.txt")))
def test_the_fallback_is_additive_over_whitespace_and_plausible_on_a_whole_article(
    name: str,
) -> None:
    text = (BUNDLED_ARTICLES / name).read_text(encoding="utf-8")
    total = FALLBACK.count(text)
    assert total == sum(FALLBACK.count(word) for word in text.split())
    assert len(text) / 6 < total < len(text) / 2
