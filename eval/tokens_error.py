"""How wrong the character-based token approximation is, and what it did to the chunks.

``python -m eval.tokens_error`` (options: ``--articles DIR``, ``--qa FILE``, ``--json``)
compares :data:`assistant.tokens.FALLBACK` with real tiktoken counts (the bundled,
hash-checked cl100k_base, or whichever genuine file :func:`get_token_counter` finds) on:

- the articles (cleaned text), their sentences and the chunks the real counter makes;
- the questions of the question file, by language;

and reports, per unit, the mean absolute and the worst relative error of the approximation
(``approx / real - 1``: negative means it under-counts). Then it splits every article both
ways with the configured chunk size and overlap and reports how many chunks are identical,
and how many real tokens the approximation's chunks really hold (the budget they were
meant to keep). Text is taken as is: nothing here is tuned on these files.

What it does not do: judge retrieval quality (``python -m eval`` does, for the index that
is built with whichever counter is in use).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.documents import list_article_files, load_article
from assistant.models import Article, Span
from assistant.settings import PROJECT_ROOT, Settings
from assistant.splitter import CountTokens, sentence_spans, split_article
from assistant.tokens import FALLBACK, TokenCounter, get_token_counter

DEFAULT_QA = PROJECT_ROOT / "eval" / "questions.jsonl"
# The chunk budget shipped while the approximation measured chunks (chunk tokens, overlap).
APPROXIMATION_ERA_BUDGET = (180, 30)
Budget = tuple[int, int]


def relative_errors(texts: Iterable[str], real: CountTokens) -> list[float]:
    """``approx / real - 1`` for each text with at least one real token."""
    errors = []
    for text in texts:
        truth = real(text)
        if truth:
            errors.append(FALLBACK.count(text) / truth - 1)
    return errors


def summarise(errors: list[float]) -> dict[str, Any]:
    """Count, mean signed and absolute error, and the worst error (largest in size)."""
    if not errors:
        return {"n": 0}
    return {
        "n": len(errors),
        "mean": round(statistics.fmean(errors), 3),
        "mean_abs": round(statistics.fmean(abs(e) for e in errors), 3),
        "worst": round(max(errors, key=abs), 3),
    }


def sentences(article: Article, real: CountTokens, budget: int) -> list[str]:
    """The sentence texts the splitter packs (cut as the real counter cuts them)."""
    text = article.original
    spans: list[Span] = []
    for block in article.blocks:
        spans.extend(sentence_spans(text, block, budget, real))
    return [text[s.start : s.end] for s in spans]


def questions_by_language(qa_path: Path) -> dict[str, list[str]]:
    """Question texts of a JSONL question file grouped by their ``lang`` field."""
    grouped: dict[str, list[str]] = {}
    for line in qa_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            grouped.setdefault(item.get("lang", "?"), []).append(item["question"])
    return grouped


def chunk_comparison(
    articles: list[Article], real: TokenCounter, approx_budget: Budget, real_budget: Budget
) -> dict[str, Any]:
    """Split every article with the approximation at ``approx_budget`` and with ``real`` at
    ``real_budget`` (``(chunk tokens, overlap)`` each); compare the spans and the real size
    of the approximation's chunks."""
    approx_spans: set[tuple[str, int, int]] = set()
    real_spans: set[tuple[str, int, int]] = set()
    approx_sizes: list[int] = []
    real_sizes: list[int] = []
    for article in articles:
        for chunk in split_article(article, FALLBACK.count, *approx_budget):
            approx_spans.add((article.source, chunk.start, chunk.end))
            approx_sizes.append(real.count(chunk.text))
        for chunk in split_article(article, real.count, *real_budget):
            real_spans.add((article.source, chunk.start, chunk.end))
            real_sizes.append(real.count(chunk.text))
    return {
        "approximation_budget": list(approx_budget),
        "real_budget": list(real_budget),
        "chunks_by_approximation": len(approx_sizes),
        "chunks_by_real_counter": len(real_sizes),
        "identical_chunks": len(approx_spans & real_spans),
        "boundaries_changed": approx_spans != real_spans,
        "approximation_real_tokens_median": statistics.median(approx_sizes or [0]),
        "approximation_real_tokens_max": max(approx_sizes, default=0),
        "approximation_over_budget": sum(s > approx_budget[0] for s in approx_sizes),
        "real_real_tokens_median": statistics.median(real_sizes or [0]),
        "real_real_tokens_max": max(real_sizes, default=0),
    }


def measure(articles_dir: Path, qa_path: Path, settings: Settings) -> dict[str, Any]:
    """Every figure of the module docstring, as one dict."""
    real = get_token_counter(settings)
    budget = (settings.chunk_tokens, settings.chunk_overlap_tokens)
    if real.approximate:
        raise SystemExit(f"no real tiktoken counter to compare with: {real.name}")
    articles = [load_article(p, settings.max_file_bytes) for p in list_article_files(articles_dir)]
    units: dict[str, list[float]] = {
        "articles (ar)": relative_errors((a.cleaned for a in articles), real.count),
        "sentences (ar)": relative_errors(
            (s for a in articles for s in sentences(a, real.count, settings.chunk_tokens)), real.count
        ),
        "chunks (ar)": relative_errors(
            (c.text for a in articles for c in split_article(
                a, real.count, settings.chunk_tokens, settings.chunk_overlap_tokens)),
            real.count,
        ),
    }  # fmt: skip
    for lang, texts in sorted(questions_by_language(qa_path).items()):
        units[f"questions ({lang})"] = relative_errors(texts, real.count)
    return {
        "real_counter": real.name,
        "approximation": FALLBACK.name,
        "articles": len(articles),
        "errors": {unit: summarise(errors) for unit, errors in units.items()},
        "chunks": [
            chunk_comparison(articles, real, budget, budget),
            chunk_comparison(articles, real, APPROXIMATION_ERA_BUDGET, budget),
        ],
    }


def as_markdown(result: dict[str, Any]) -> str:
    """The result as the README shows it: one error table and the chunk comparison."""
    lines = [
        f"Real counter: {result['real_counter']}; {result['articles']} articles.",
        "",
        "| unit | n | mean error | mean abs. error | worst error |",
        "|---|---|---|---|---|",
    ]
    for unit, row in result["errors"].items():
        if row["n"]:
            lines.append(
                f"| {unit} | {row['n']} | {row['mean']:+.0%} | {row['mean_abs']:.0%} | {row['worst']:+.0%} |"
            )
    lines.append("")
    for row in result["chunks"]:
        lines.append(
            f"- approximation at {row['approximation_budget'][0]}/{row['approximation_budget'][1]} "
            f"vs real counts at {row['real_budget'][0]}/{row['real_budget'][1]} (chunk/overlap "
            f"tokens): {row['chunks_by_approximation']} vs {row['chunks_by_real_counter']} chunks, "
            f"{row['identical_chunks']} identical; the approximation's chunks really hold "
            f"{row['approximation_real_tokens_median']:.0f} tokens (median; max "
            f"{row['approximation_real_tokens_max']}, {row['approximation_over_budget']} over "
            f"budget), the real counter's {row['real_real_tokens_median']:.0f} (max "
            f"{row['real_real_tokens_max']})."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.tokens_error", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--articles", type=Path, default=None, help="folder of articles (default: settings)"
    )
    parser.add_argument("--qa", type=Path, default=DEFAULT_QA, help="question file (JSONL)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    settings = Settings()
    result = measure(args.articles or settings.data_dir, args.qa, settings)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else as_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
