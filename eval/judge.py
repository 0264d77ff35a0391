"""Optional LLM-as-judge: faithfulness and correctness scores (1-5) for each answer.

The judge reads the question, the answer with its cited quotes, and the retrieved passages
(prompt ``prompts/judge.txt``) and replies with two scores. It never sees the question
file's ``facts`` or ``sources``. The chat model comes from :func:`assistant.llm.make_llm`;
when no LLM is configured, :func:`make_judge` says so and returns ``None`` so the run goes
on without scores. A judge failure on one answer is recorded in that answer's ``judge``
field (``{"error": ...}``) and never stops the run.

What it does not do: decide whether an answer is right by itself (see :mod:`eval.metrics`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.models import Answer
from eval.qafile import Question
from eval.runner import JudgeFn, error_message

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import Settings

PROMPT_NAME = "judge"
SKIPPED_MESSAGE = "judge skipped: no LLM configured"
RenderFn = Callable[..., list[tuple[str, str]]]
_SCORE_RE = {
    name: re.compile(rf"{name}\W{{0,5}}([1-5])\b", re.IGNORECASE)
    for name in ("faithfulness", "correctness")
}
_REASON_RE = re.compile(r"reason\W{0,5}(.+)", re.IGNORECASE)


def make_judge(settings: Settings) -> JudgeFn | None:
    """A judge backed by the configured LLM, or ``None`` (with a notice) when there is none."""
    from assistant.llm import make_llm  # lazy: only a judged run needs LLM backends

    llm = make_llm(settings)
    if llm is None:
        print(SKIPPED_MESSAGE, file=sys.stderr)
        return None
    return build_judge(llm)


def build_judge(llm: BaseChatModel, render: RenderFn | None = None) -> JudgeFn:
    """Wrap a chat model as ``judge(question, answer) -> {"faithfulness", "correctness", …}``."""
    if render is None:
        from assistant.prompts import render_messages as render

    def judge(question: Question, answer: Answer) -> dict[str, Any]:
        """Scores for one answer, or ``{"error": ...}`` when the model fails or rambles."""
        messages = render(
            PROMPT_NAME,
            question=question.question,
            answer=format_answer(answer),
            passages=format_passages(answer),
        )
        try:
            reply = llm.invoke(messages)
        except Exception as exc:  # one failed judgement must not stop the run
            return {"error": error_message(exc)}
        return parse_scores(_text_of(reply))

    return judge


def parse_scores(text: str) -> dict[str, Any]:
    """Read ``faithfulness: N`` and ``correctness: N`` (1-5) from a judge reply.

    >>> parse_scores("Faithfulness: 4\\ncorrectness: **5**\\nreason: cites the call")
    {'faithfulness': 4, 'correctness': 5, 'reason': 'cites the call'}
    >>> parse_scores("I cannot grade this")["error"]
    'judge reply has no faithfulness score: I cannot grade this'
    """
    scores: dict[str, Any] = {}
    for name, pattern in _SCORE_RE.items():
        match = pattern.search(text)
        if match is None:
            return {"error": f"judge reply has no {name} score: {text.strip()[:200]}"}
        scores[name] = int(match.group(1))
    reason = _REASON_RE.search(text)
    if reason:
        scores["reason"] = reason.group(1).strip()
    return scores


def format_answer(answer: Answer) -> str:
    """The answer text followed by its numbered cited quotes, as the judge sees them."""
    lines = [answer.text.strip() or "(empty answer)"]
    if answer.abstained:
        lines.append("(The assistant declined to answer from the sources.)")
    for number, citation in enumerate(answer.citations, start=1):
        lines.append(f"[{number}] {citation.source}: «{citation.quote}»")
    return "\n".join(lines)


def format_passages(answer: Answer) -> str:
    """Retrieved passages, numbered in rank order with their source file."""
    if not answer.retrieved:
        return "(no passages were retrieved)"
    return "\n\n".join(
        f"[{number}] (source: {item.chunk.source})\n{item.chunk.text.strip()}"
        for number, item in enumerate(answer.retrieved, start=1)
    )


def _text_of(reply: Any) -> str:
    """Plain text of a chat model reply (an AIMessage, or a string from a plain LLM)."""
    content = getattr(reply, "content", reply)
    if isinstance(content, list):  # content blocks
        return " ".join(str(b.get("text", "")) if isinstance(b, dict) else str(b) for b in content)
    return str(content)
