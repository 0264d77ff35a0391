"""Scripted Q&A evaluation: a question set, a runner, metrics, reports and comparisons.

``python -m eval --qa eval/questions.jsonl --answers answers.jsonl --report report/`` asks
every question through :class:`assistant.service.Assistant` and scores the answers
(:mod:`eval.metrics`); ``python -m eval compare A.jsonl B.jsonl`` sets two runs side by side.
Modules: :mod:`eval.qafile` (file formats), :mod:`eval.runner`, :mod:`eval.metrics`,
:mod:`eval.report`, :mod:`eval.judge` (optional LLM-as-judge), :mod:`eval.cli`.
"""
