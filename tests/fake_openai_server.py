"""A scripted local HTTP server speaking the OpenAI chat and Ollama chat protocols.

Tests use it to run the *real* clients (``ChatOpenAI``, ``ChatOllama``) over real HTTP on
127.0.0.1: only the model behind the endpoint is fake. It implements

- ``POST /v1/chat/completions``: one JSON response, or with ``"stream": true`` a
  server-sent-event stream of ``chat.completion.chunk`` objects ending with
  ``data: [DONE]``;
- ``POST /api/chat``: Ollama's chat endpoint, newline-delimited JSON when streaming.

Replies come from a script (a list of strings, used in order; the last one repeats).
Every request body is recorded in :attr:`FakeLLMServer.requests` (its path in ``paths``,
its headers, lower-cased, in ``headers``) so tests can assert what the prompt contained.
:attr:`FakeLLMServer.mode` makes it misbehave: ``"error"``
(HTTP 500), ``"slow"`` (waits ``slow_s`` before answering), ``"garbage"`` (a 200 response
whose body is not JSON).

Usage::

    with FakeLLMServer(["hello"]) as server:
        ChatOpenAI(base_url=server.openai_url, api_key="x", model="m").invoke("hi")
        assert server.requests[0]["messages"][0]["content"] == "hi"
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Mode = Literal["ok", "error", "slow", "garbage"]


def _pieces(text: str) -> list[str]:
    """Split a reply into stream deltas of one word (with its following space) each.

    >>> _pieces("a bc  d")
    ['a ', 'bc  ', 'd']
    """
    return re.findall(r"\S+\s*|\s+", text) or [""]


def openai_response(reply: str, model: str) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` body with ``reply`` as the assistant message."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def openai_chunks(reply: str, model: str) -> Iterator[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects that stream ``reply`` word by word."""
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}
    for i, piece in enumerate(_pieces(reply)):
        delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
        yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


def ollama_chunks(reply: str, model: str) -> Iterator[dict[str, Any]]:
    """Ollama ``/api/chat`` stream objects for ``reply``, ending with ``done: true``."""
    base = {"model": model, "created_at": "2024-01-01T00:00:00Z"}
    for piece in _pieces(reply):
        yield {**base, "message": {"role": "assistant", "content": piece}, "done": False}
    yield {
        **base,
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        "total_duration": 1000,
        "prompt_eval_count": 10,
        "eval_count": 5,
    }


class _Handler(BaseHTTPRequestHandler):
    """Serves one request from the :class:`FakeLLMServer` that owns the HTTP server."""

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Silence the default per-request stderr log."""

    def do_POST(self) -> None:
        """Record the request, then answer as the fake's mode and script say."""
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        fake.record(self.path, body, dict(self.headers.items()))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(fake, body)  # a broken pipe: the client gave up (timeout)

    def _answer(self, fake: FakeLLMServer, body: dict[str, Any]) -> None:
        """Misbehave as ``fake.mode`` says, or send the next scripted reply."""
        if fake.mode == "slow":
            fake.stopping.wait(fake.slow_s)
        if fake.mode == "error":
            error = {"error": {"message": "fake internal error", "type": "server_error"}}
            return self._send(500, json.dumps(error).encode(), "application/json")
        if fake.mode == "garbage":
            return self._send(200, b"<html>not json {{{", "application/json")
        reply, model = fake.next_reply(), str(body.get("model") or "fake-model")
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/chat/completions"):
            return self._openai(reply, model, bool(body.get("stream")))
        if path == "/api/chat":
            return self._ollama(reply, model, body.get("stream", True) is not False)
        return self._send(404, b'{"error": "not found"}', "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        """One complete response with a Content-Length."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _start_stream(self, content_type: str) -> None:
        """Headers of a streamed response: its end is the end of the connection."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        self.end_headers()

    def _openai(self, reply: str, model: str, stream: bool) -> None:
        """``reply`` as an OpenAI chat completion, or as server-sent events."""
        if not stream:
            return self._send(
                200, json.dumps(openai_response(reply, model)).encode(), "application/json"
            )
        self._start_stream("text/event-stream")
        for chunk in openai_chunks(reply, model):
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def _ollama(self, reply: str, model: str, stream: bool) -> None:
        """``reply`` as Ollama chat JSON, or as newline-delimited JSON chunks."""
        chunks = list(ollama_chunks(reply, model))
        if not stream:
            final = {**chunks[-1], "message": {"role": "assistant", "content": reply}}
            return self._send(200, json.dumps(final).encode(), "application/json")
        self._start_stream("application/x-ndjson")
        for chunk in chunks:
            self.wfile.write((json.dumps(chunk) + "\n").encode())
            self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeLLMServer


class FakeLLMServer:
    """A scripted OpenAI/Ollama-compatible server on 127.0.0.1 (port chosen by the OS).

    ``replies`` are served in order and the last one repeats; ``mode`` and ``slow_s``
    may be changed while it runs. Use it as a context manager.
    """

    def __init__(
        self, replies: Sequence[str] = ("ok",), mode: Mode = "ok", slow_s: float = 30.0
    ) -> None:
        self.replies = list(replies) or [""]
        self.mode: Mode = mode
        self.slow_s = slow_s
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._served = 0
        self._httpd: _Server | None = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> FakeLLMServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving, release slow handlers and close the socket."""
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234`` (the Ollama ``base_url``)."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def openai_url(self) -> str:
        """The OpenAI ``base_url``: :attr:`url` + ``/v1``."""
        return self.url + "/v1"

    def record(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        """Remember one request (called by the handler thread)."""
        with self._lock:
            self.paths.append(path)
            self.requests.append(body)
            self.headers.append({k.lower(): v for k, v in headers.items()})

    def next_reply(self) -> str:
        """The next scripted reply; the last one repeats once the script runs out."""
        with self._lock:
            reply = self.replies[min(self._served, len(self.replies) - 1)]
            self._served += 1
            return reply

    def prompt_text(self, index: int = -1) -> str:
        """All message contents of request ``index`` joined by newlines (for assertions)."""
        messages = self.requests[index].get("messages", [])
        return "\n".join(str(m.get("content", "")) for m in messages)


def closed_port_url() -> str:
    """A ``http://127.0.0.1:<port>`` URL where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
