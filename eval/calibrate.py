"""Calibrate the offline abstention threshold on the main and the held-out question sets.

``python -m eval.calibrate --embedder e5`` computes, for every question of each set, the
evidence signal the extractive answerer abstains on (:func:`best_coverage` of the shipped
retrieval; 0 for an English question naming a proper name that no article contains, which
is refused whatever the threshold: ``QueryAnalysis.absent_names``), then prints for each candidate threshold the abstention accuracy on
unanswerable questions and the false-abstention rate on answerable ones, by set and
language. ``--embedder settings`` uses the configured embedder and the configured store
(``ASSISTANT_*``) on the main set only. The chosen value lives in
``assistant.extractive.ABSTAIN_COVERAGE``; the held-out set is for checking that it
generalises, never for lexicon entries.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.extractive import best_coverage
from assistant.index import Index
from assistant.retrieval import retrieve
from eval.fusion import make_measurement_embedder, open_set

Row = tuple[str, str, bool, float]  # set, lang, answerable, best coverage


def signals(index: Index, questions: list[dict], set_name: str) -> list[Row]:
    """``(set, lang, answerable, best_coverage)`` for each question."""
    names = {s: e.get("names", []) for s, e in index.manifest.files.items()}
    rows = []
    for item in questions:
        analysis, retrieved = retrieve(index, item["question"], 6)
        cov = 0.0 if analysis.absent_names else best_coverage(analysis, retrieved, names)
        rows.append((set_name, item.get("lang", "?"), bool(item.get("answerable", True)), cov))
    return rows


def table(rows: list[Row], thresholds: list[float]) -> str:
    """Markdown table: threshold → per set and language, refused unanswerable and falsely
    refused answerable questions (counts)."""
    groups = sorted({(s, lang) for s, lang, _, _ in rows})
    head = " | ".join(f"{s} {lang}" for s, lang in groups)
    out = [f"| threshold | {head} |", "|---|" + "---|" * len(groups)]
    for t in thresholds:
        cells = []
        for s, lang in groups:
            sel = [(a, c) for s2, l2, a, c in rows if (s2, l2) == (s, lang)]
            un = [c for a, c in sel if not a]
            an = [c for a, c in sel if a]
            cells.append(f"refused {sum(c < t for c in un)}/{len(un)}, false {sum(c < t for c in an)}/{len(an)}")
        out.append(f"| {t:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", choices=("e5", "hashing", "settings"), default="e5")
    parser.add_argument("--sets", default="main,heldout")
    parser.add_argument("--qa", type=Path, help="with --embedder settings: the question file")
    args = parser.parse_args()
    rows: list[Row] = []
    if args.embedder == "settings":
        from assistant.service import Assistant
        from assistant.settings import Settings

        assistant = Assistant.from_settings(Settings())
        qa = args.qa or Path(__file__).resolve().parent / "questions.jsonl"
        questions = [json.loads(x) for x in qa.read_text(encoding="utf-8").splitlines() if x.strip()]
        rows = signals(assistant.index, questions, "main")
    else:
        embedder = make_measurement_embedder(args.embedder)
        for name in args.sets.split(","):
            index, questions = open_set(name, embedder)
            rows += signals(index, questions, name)
    for s, lang, answerable, cov in sorted(rows, key=lambda r: r[3]):
        print(f"{cov:.2f} {s} {lang} {'answerable' if answerable else 'UNANSWERABLE'}")
    print(table(rows, [x / 20 for x in range(4, 15)]))


if __name__ == "__main__":
    main()
