"""The caller's environment cannot change a test: variables such as ``HF_HUB_OFFLINE=1``,
``ASSISTANT_EMBEDDER`` or a proxy set in the shell are gone before collection, in session
fixtures, in every test and in the subprocesses tests start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from tests.conftest import is_isolated_variable

CALLER = {
    "HF_HUB_OFFLINE": "1",
    "HF_HOME": "/nonexistent/hf-home",
    "TRANSFORMERS_OFFLINE": "1",
    "ASSISTANT_EMBEDDER": "no-such-model",
    "OPENAI_API_KEY": "sk-from-the-shell",
    "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "TIKTOKEN_CACHE_DIR": "/nonexistent/tiktoken",
}
INNER_TESTS = """
import os, subprocess, sys
import pytest

NAMES = {names!r}
AT_IMPORT = sorted(n for n in NAMES if n in os.environ)


@pytest.fixture(scope="session")
def seen_by_a_session_fixture():
    return sorted(n for n in NAMES if n in os.environ)


def test_nothing_of_the_callers_reaches_module_code_fixtures_tests_or_subprocesses(
    seen_by_a_session_fixture,
):
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(sorted(os.environ))"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert AT_IMPORT == [] and seen_by_a_session_fixture == []
    assert [n for n in NAMES if n in os.environ] == []
    assert [n for n in NAMES if repr(n) in child] == []
    assert os.environ["KEPT_BY_THE_TESTS"] == "yes"


def test_a_library_that_sets_hf_hub_offline_during_a_test():
    os.environ["HF_HUB_OFFLINE"] = "1"


def test_does_not_change_the_next_test():
    assert "HF_HUB_OFFLINE" not in os.environ
"""


@pytest.mark.parametrize(
    ("name", "isolated"),
    [
        ("HF_HUB_OFFLINE", True),
        ("HF_ENDPOINT", True),
        ("TRANSFORMERS_CACHE", True),
        ("ASSISTANT_LLM_PROVIDER", True),
        ("OPENAI_BASE_URL", True),
        ("http_proxy", True),
        ("HTTPS_PROXY", True),
        ("NO_PROXY", True),
        ("PATH", False),
        ("HOME", False),
        ("PYTHONPATH", False),
        ("LANG", False),
    ],
)
def test_model_hub_settings_llm_and_proxy_variables_are_isolated_and_others_kept(
    name: str, isolated: bool
) -> None:
    assert is_isolated_variable(name) is isolated


def test_a_callers_hf_hub_offline_and_proxies_never_reach_a_test_run(tmp_path: Path) -> None:
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(INNER_TESTS.format(names=sorted(CALLER)), encoding="utf-8")
    env = {**os.environ, **CALLER, "KEPT_BY_THE_TESTS": "yes", "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
        + ["--rootdir", str(tmp_path), "-c", os.devnull, str(test_file)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "3 passed" in run.stdout
    header = next(
        line for line in run.stdout.splitlines() if line.startswith("environment cleared")
    )
    assert all(name in header for name in CALLER)
