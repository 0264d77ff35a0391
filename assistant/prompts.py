"""Prompt files: load ``prompts/<name>.txt``, render them strictly, split them into messages.

What it does: every prompt lives in one text file under ``prompts/`` (project root) and
uses ``string.Template`` placeholders (``$question``, ``${language_name}``), so literal
braces in a prompt (JSON examples, ``{}``) need no escaping; a literal dollar is ``$$``.
Rendering is strict both ways: a placeholder without a value raises, and so does a value
that no placeholder uses, so a typo in a prompt or in the chain is caught by the tests
instead of silently sending ``$qestion`` to the model.

A prompt file may hold several chat messages, each introduced by a header line of its
own, ``=== system ===``, ``=== user ===`` or ``=== assistant ===``; :func:`render_messages`
returns them as ``(role, content)`` pairs. A file without headers is one user message.

What it does not do: call a model or decide which variables a chain supplies (see
:mod:`assistant.llm_chain`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
ROLES = ("system", "user", "assistant")
_HEADER_RE = re.compile(r"^=== (system|user|assistant) ===[ \t]*$", re.MULTILINE)


class PromptError(ValueError):
    """A prompt file is missing, or was rendered with missing or unexpected variables."""


def list_prompts() -> list[str]:
    """Names of every prompt file in ``prompts/``, sorted (``answer``, ``judge`` …)."""
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.txt"))


@lru_cache(maxsize=64)
def _load(name: str) -> str:
    """Raw text of ``prompts/<name>.txt`` (cached: prompt files do not change at runtime)."""
    path = PROMPTS_DIR / f"{name}.txt"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not path.is_file():
        raise PromptError(f"No prompt named {name!r} in {PROMPTS_DIR} (have: {list_prompts()})")
    return path.read_text(encoding="utf-8")


def variables(name: str) -> set[str]:
    """The placeholder names used by prompt ``name``.

    >>> sorted(variables("rewrite_followup"))
    ['history', 'question']
    """
    return set(Template(_load(name)).get_identifiers())


def _check(name: str, template: Template, values: dict[str, str]) -> None:
    """Raise :class:`PromptError` unless ``values`` fills exactly the template's placeholders."""
    if not template.is_valid():
        raise PromptError(f"Prompt {name!r} has an invalid placeholder (write $$ for a dollar)")
    expected = set(template.get_identifiers())
    missing, extra = expected - values.keys(), values.keys() - expected
    if missing or extra:
        raise PromptError(
            f"Prompt {name!r}: missing variables {sorted(missing)}, unexpected {sorted(extra)}"
        )


def render(name: str, **values: str) -> str:
    """Render prompt ``name`` with exactly the variables it uses.

    Raises :class:`PromptError` when a placeholder has no value or a value has no
    placeholder. Values are inserted verbatim (a ``$`` inside a value is not expanded).
    """
    template = Template(_load(name))
    _check(name, template, values)
    return template.substitute(values)


def split_roles(text: str) -> list[tuple[str, str]]:
    """Split prompt text into ``(role, content)`` parts at ``=== role ===`` header lines.

    >>> split_roles("=== system ===\\nBe brief.\\n=== user ===\\nHi")
    [('system', 'Be brief.'), ('user', 'Hi')]
    """
    parts = _HEADER_RE.split(text)
    messages: list[tuple[str, str]] = []
    if parts[0].strip():
        messages.append(("user", parts[0].strip()))
    for role, content in zip(parts[1::2], parts[2::2], strict=True):
        if content.strip():
            messages.append((role, content.strip()))
    return messages


def render_messages(name: str, **values: str) -> list[tuple[str, str]]:
    """Render prompt ``name`` strictly into chat messages.

    The file is split into messages *before* the values are inserted, so a value (an
    article passage, a question) that contains a ``=== system ===`` line cannot open a
    message of its own.
    """
    template = Template(_load(name))
    _check(name, template, values)
    return [
        (role, Template(part).substitute(values)) for role, part in split_roles(template.template)
    ]
