"""Errors that carry a message meant for the user (CLI, web page, eval), not a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


class UserError(Exception):
    """A problem the user can fix (bad input, missing index, unreachable server).

    Its ``str`` is a complete one-line message, shown as is by every interface.
    """


class StoreMismatchError(UserError):
    """The index on disk was written by another schema version or another embedder."""


class BackendError(UserError):
    """A configured backend (LLM server, Chroma server, model) failed or timed out."""


def exit_code_of(command: Callable[[], int]) -> int:
    """Run a command-line command and return its exit code, the way every CLI here ends.

    A :class:`UserError` prints ``error: <message>`` on stderr and gives 2; Ctrl-C prints
    ``interrupted`` and gives 130 (the shell's convention); a reader that stops reading
    (``ask --json | head``) ends the command quietly with 141, as a Unix tool killed by
    SIGPIPE does. Anything else propagates: a traceback is for defects, not for the user's
    mistakes.
    """
    try:
        code = command()
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's own flush at exit does not
    report the closed pipe again ("Exception ignored … BrokenPipeError")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test's captured stdout)
        pass
    finally:
        os.close(devnull)
