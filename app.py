"""Start the web page: ``python app.py`` (then open the printed URL).

Opens the index (indexing the bundled articles first when it is empty, with progress in
the terminal), builds the page and serves it on ``GRADIO_SERVER_NAME``:``GRADIO_SERVER_PORT``
(default 127.0.0.1:7860). Safe by default: local address only, no share link, no
analytics, optional password from ``ASSISTANT_AUTH="user:password"``.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # must be set before gradio is imported

import sys
import time

from pydantic import ValidationError

from assistant.errors import UserError
from assistant.sentence_vectors import STAGE as SENTENCE_STAGE
from assistant.settings import Settings, configure_logging

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def terminal_progress(done: int, total: int, name: str) -> None:
    """Print first-run indexing progress, one line per step, to stderr: files, then the
    quotable sentences whose vectors are cached (``name`` is then that stage's name)."""
    unit = "sentences" if name == SENTENCE_STAGE else "files"
    print(f"  indexing {done}/{total} {unit} ({name})", file=sys.stderr, flush=True)


def server_address() -> tuple[str, int]:
    """Host and port from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT; UserError if the port is bad."""
    host = os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST
    port_text = os.environ.get("GRADIO_SERVER_PORT") or str(DEFAULT_PORT)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UserError(f"GRADIO_SERVER_PORT must be a port number, not {port_text!r}")
    return host, int(port_text)


def serve(settings: Settings, started: float) -> None:
    """Open the assistant, build the page, launch it and block until Ctrl-C.

    The address and the password setting are checked before anything slow happens
    (gradio itself reads GRADIO_SERVER_PORT at import and would fail with a traceback).
    """
    host, port = server_address()
    from assistant.service import Assistant
    from assistant.web import build_app, launch_options

    options = launch_options(settings)
    print(
        f"Opening the index in {settings.chroma_host or settings.store_dir} …",
        file=sys.stderr,
        flush=True,
    )
    assistant = Assistant.from_settings(settings, progress=terminal_progress)
    demo = build_app(assistant)
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True, **options)
    mode = assistant.mode
    print(f"Mode: embedder {mode.embedder}, LLM {mode.llm}", file=sys.stderr)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Warning: listening on {host}: other machines can reach this page.", file=sys.stderr)
    print(f"Ready in {time.perf_counter() - started:.1f} s: http://{host}:{port}/", flush=True)
    demo.block_thread()


def main() -> int:
    """Entry point: clean one-line errors instead of tracebacks for user problems."""
    started = time.perf_counter()
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"error: invalid ASSISTANT_* setting:\n{exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        serve(settings, started)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the port is taken
        print(f"error: cannot start the web server: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
