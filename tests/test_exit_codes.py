"""Every command line here ends the same way: ``exit_code_of`` maps user errors and Ctrl-C."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.errors import StoreMismatchError, UserError, exit_code_of
from assistant.settings import PROJECT_ROOT


def test_a_command_that_succeeds_returns_its_own_exit_code() -> None:
    assert exit_code_of(lambda: 0) == 0
    assert exit_code_of(lambda: 3) == 3


@pytest.mark.parametrize("error", [UserError("no such folder: x"), StoreMismatchError("no such folder: x")])
def test_a_user_error_prints_one_line_on_stderr_and_exits_2(
    error: UserError, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails() -> int:
        raise error

    assert exit_code_of(fails) == 2
    captured = capsys.readouterr()
    assert captured.err == "error: no such folder: x\n"
    assert captured.out == ""


def test_ctrl_c_prints_interrupted_and_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted() -> int:
        raise KeyboardInterrupt

    assert exit_code_of(interrupted) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_a_defect_is_not_hidden_as_a_user_error() -> None:
    def defect() -> int:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError, match="a bug"):
        exit_code_of(defect)


def test_a_reader_that_closes_the_pipe_ends_the_command_quietly() -> None:
    """``python -m assistant settings | head -1``: the reader leaves before the output is
    written; the command used to end in a BrokenPipeError traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "settings"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the interpreter has even started
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 141
    assert stderr == ""
