"""Long work in the web page: run it in a thread and show its progress in the page.

What it does: :func:`in_background` runs a job (indexing an upload, re-indexing, a
summary) in a worker thread and turns what it reports into a stream of events: its
progress steps, a tick of elapsed seconds while it is quiet, and how it ended;
:func:`live` turns that stream into Gradio output updates, a progress line with a bar
(``render_progress``) while the job runs and the job's own result (or an error message)
at the end. A failure therefore always ends in a message, never a spinner left running.

What it does not do: decide what a job does or how its result looks (the handlers in
:mod:`assistant.web` do); it has no state between jobs.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.sentence_vectors import STAGE
from assistant.web_render import render_progress

TICK_S = 0.5  # how often long work re-draws its in-page progress when nothing else happens
StepCallback = Callable[[int, int, str], None]  # ingestion's (done, total, file name)


@dataclass(frozen=True)
class Step:
    """One progress report of long work: ``done`` of ``total`` files, the current name."""

    done: int
    total: int
    name: str


@dataclass(frozen=True)
class Outcome:
    """How long work ended: its value, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None


def in_background(
    work: Callable[[StepCallback], Any], tick_s: float = TICK_S
) -> Iterator[Step | float | Outcome]:
    """Run ``work(progress)`` in a thread; yield each :class:`Step` it reports, the elapsed
    seconds every ``tick_s`` while it is quiet, and finally its :class:`Outcome`.

    The page thus always has something fresh to show, and an exception in ``work``
    arrives as an Outcome instead of leaving a spinner running. If the browser goes away
    the work still finishes (an index update is never abandoned half-way).
    """
    events: queue.Queue[Step | Outcome] = queue.Queue()

    def run() -> None:
        """The thread: do the work, report its steps and how it ended."""
        try:
            events.put(Outcome(value=work(lambda d, t, n: events.put(Step(d, t, n)))))
        except BaseException as exc:  # delivered to the page as a message
            events.put(Outcome(error=exc))

    started = time.monotonic()
    threading.Thread(target=run, name="web-long-work", daemon=True).start()
    while True:
        try:
            event = events.get(timeout=tick_s)
        except queue.Empty:
            yield time.monotonic() - started
            continue
        yield event
        if isinstance(event, Outcome):
            return


def progress_html(label: str, event: Step | float | None) -> str:
    """The in-page progress line for ``event``: a file count with a bar, or elapsed time."""
    if isinstance(event, Step) and event.name == STAGE:
        return render_progress(f"{label} {event.done}/{event.total} sentences · {STAGE}", event.done, event.total)
    if isinstance(event, Step):
        return render_progress(
            f"{label} {event.done}/{event.total} files · {event.name}", event.done, event.total
        )
    if isinstance(event, float):
        return render_progress(f"{label} … {event:.0f} s")
    return render_progress(f"{label} …")


def live(
    work: Callable[[StepCallback], str],
    label: str,
    finish: Callable[[str], tuple],
    width: int,
    on_error: Callable[[BaseException], str],
) -> Iterator[tuple]:
    """Outputs for a long job with ``width`` outputs: ``(progress HTML, skip, …)`` while
    ``work`` runs, then ``finish(outcome HTML)``. ``work`` returns HTML; an exception it
    raises becomes ``finish(on_error(exc))``, so the page always ends with a message."""
    keep = [gr.skip()] * (width - 1)
    yield (progress_html(label, None), *keep)
    for event in in_background(work):
        if not isinstance(event, Outcome):
            yield (progress_html(label, event), *keep)
        elif event.error is not None:
            yield finish(on_error(event.error))
        else:
            yield finish(event.value)
