"""Errors that carry a message meant for the user (CLI, web page, eval), not a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (bad input, missing index, unreachable server).

    Its ``str`` is a complete one-line message, shown as is by every interface.
    """


class StoreMismatchError(UserError):
    """The index on disk was written by another schema version or another embedder."""


class BackendError(UserError):
    """A configured backend (LLM server, Chroma server, model) failed or timed out."""
