"""Calibrate the offline abstention threshold on a question file.

``python -m eval.calibrate --qa eval/questions.jsonl`` computes, for every question, the
evidence signal the extractive answerer abstains on (:func:`best_coverage`), then prints
for each candidate threshold the abstention accuracy on unanswerable questions, the
false-abstention rate on answerable ones, and their balanced accuracy, by language.
The chosen value lives in ``assistant.extractive.ABSTAIN_COVERAGE``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.extractive import best_coverage
from assistant.retrieval import retrieve
from assistant.service import Assistant
from assistant.settings import Settings


def signals(qa_path: Path) -> list[tuple[str, bool, float]]:
    """``(lang, answerable, best_coverage)`` for each question of ``qa_path``."""
    assistant = Assistant.from_settings(Settings())
    names = {s: e.get("names", []) for s, e in assistant.index.manifest.files.items()}
    rows = []
    for line in qa_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        analysis, retrieved = retrieve(assistant.index, item["question"], assistant.settings.top_k)
        rows.append(
            (
                item.get("lang", "?"),
                bool(item.get("answerable", True)),
                best_coverage(analysis, retrieved, names),
            )
        )
    return rows


def table(rows: list[tuple[str, bool, float]], thresholds: list[float]) -> str:
    """Markdown table: threshold → abstention accuracy, false abstention, balanced accuracy."""
    out = [
        "| threshold | lang | abstain on unanswerable | false abstain on answerable | balanced |",
        "|---|---|---|---|---|",
    ]
    for t in thresholds:
        for lang in ("all", "ar", "en"):
            sel = [r for r in rows if lang == "all" or r[0] == lang]
            un = [c for _, a, c in sel if not a]
            an = [c for _, a, c in sel if a]
            tp = sum(c < t for c in un) / len(un) if un else 0.0
            fa = sum(c < t for c in an) / len(an) if an else 0.0
            out.append(f"| {t:.2f} | {lang} | {tp:.0%} | {fa:.0%} | {(tp + 1 - fa) / 2:.0%} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, default=Path("eval/questions.jsonl"))
    args = parser.parse_args()
    rows = signals(args.qa)
    for lang, answerable, cov in sorted(rows, key=lambda r: r[2]):
        print(f"{cov:.2f} {lang} {'answerable' if answerable else 'UNANSWERABLE'}")
    print(table(rows, [x / 20 for x in range(4, 17)]))


if __name__ == "__main__":
    main()
