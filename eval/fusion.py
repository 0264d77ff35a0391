"""Fusion weights of dense and BM25 rankings, per question language, on one or more question sets.

``python -m eval.fusion --embedder e5`` indexes the main set (``data/articles``,
``eval/questions.jsonl``) and the held-out set (``eval/heldout/``) with the chosen embedder
into stores of their own (kept under ``ASSISTANT_STORE_DIR``, so a second run embeds
nothing), analyses each question once (its dense vector is kept in the analysis), then
prints file-level hit@1 / hit@3 / MRR of the shipped search for a grid of dense weights
(BM25 weight 1), by set and language, on the answerable questions. The weights the
product uses live in ``assistant.retrieval.MODEL_WEIGHTS``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from assistant.index import Index, open_index
from assistant.ingest import ingest
from assistant.retrieval import (
    MIN_DENSE,
    Fusion,
    QueryAnalysis,
    analyse_query,
    bridge_vocabulary,
    reads_words,
    search,
)
from assistant.settings import PROJECT_ROOT, Settings

SETS = {
    "main": (PROJECT_ROOT / "data" / "articles", PROJECT_ROOT / "eval" / "questions.jsonl"),
    "heldout": (PROJECT_ROOT / "eval" / "heldout" / "articles", PROJECT_ROOT / "eval" / "heldout" / "questions.jsonl"),
}
DENSE_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 100.0)  # Arabic: fixed; English: × bridge miss share
RRF_KS = (5, 60)


def make_measurement_embedder(name: str) -> Any:
    """The embedder to measure with: ``e5`` (bundled engine) or ``hashing``."""
    if name == "hashing":
        from vectorstore.embedders import HashingEmbedder

        return HashingEmbedder()
    try:  # the product's e5 embedder when this checkout has it, else the local adapter
        from vectorstore.embedders import load_e5_engine  # type: ignore[attr-defined]
    except ImportError:
        from eval.e5_adapter import E5Adapter

        return E5Adapter()
    engine = load_e5_engine(Settings())
    if isinstance(engine, str):
        raise SystemExit(f"error: {engine}")
    return engine


def open_set(name: str, embedder: Any) -> tuple[Index, list[dict]]:
    """The set's index (ingested incrementally into a store of its own) and its questions."""
    data_dir, qa = SETS[name]
    base = Settings()
    settings = base.model_copy(
        update={"data_dir": data_dir, "store_dir": base.store_dir / f"eval-fusion-{name}"}
    )
    ingest(settings, embedder=embedder)
    questions = [json.loads(x) for x in qa.read_text(encoding="utf-8").splitlines() if x.strip()]
    return open_index(settings, embedder=embedder), questions


def analyses(index: Index, questions: list[dict]) -> list[QueryAnalysis]:
    """Each question analysed once, as ``retrieve`` does."""
    out = []
    for q in questions:
        analysis = analyse_query(q["question"], lambda: bridge_vocabulary(index))
        if index.lexical is not None:
            analysis.weigh_slots(index.lexical.idf, reads_words(index.embedder.id))
        out.append(analysis)
    return out


def file_rank(index: Index, analysis: QueryAnalysis, fusion: Fusion | None, sources: list[str]) -> int | None:
    """Rank of the first right file among the files of the top 10 passages (``fusion``
    None: the shipped one)."""
    files = list(dict.fromkeys(r.chunk.source for r in search(index, analysis, 10, fusion=fusion)))
    return next((i for i, f in enumerate(files, 1) if f in sources), None)


def scores(ranks: list[int | None]) -> str:
    """``hit@1 / hit@3 / MRR`` of a list of ranks."""
    n = len(ranks) or 1
    h1 = sum(r == 1 for r in ranks) / n
    h3 = sum(r is not None and r <= 3 for r in ranks) / n
    mrr = sum(1 / r for r in ranks if r) / n
    return f"{h1:.0%} / {h3:.0%} / {mrr:.3f}"


def fusion_of(weight: float, k: int, analysis: QueryAnalysis) -> Fusion:
    """Dense weight ``weight`` (for English: per share of words the bridge missed), BM25 1."""
    if weight < 0:  # the fusion before it was tuned for a model: equal weights
        return Fusion({"dense": 1.0, "bm25": 1.0}, k)
    if analysis.language == "en":
        weight = max(MIN_DENSE, weight * analysis.bridge_miss_share) if weight < 100 else weight
    return Fusion({"dense": weight, "bm25": 1.0}, k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", choices=("e5", "hashing"), default="e5")
    parser.add_argument("--sets", default="main,heldout")
    args = parser.parse_args()
    embedder = make_measurement_embedder(args.embedder)
    names = args.sets.split(",")
    header = " | ".join(f"{s} {lang}" for s in names for lang in ("ar", "en"))
    print(f"embedder: {embedder.id}; cells: hit@1 / hit@3 / MRR (answerable questions)")
    print("rows: RRF k, dense weight (Arabic: as is; English: × share of words the bridge missed)\n")
    print(f"| fusion | {header} |\n|---|" + "---|" * (2 * len(names)))
    prepared = {}
    for name in names:
        index, questions = open_set(name, embedder)
        kept = [q for q in questions if q.get("answerable", True)]
        prepared[name] = (index, kept, analyses(index, kept))
    configs: list[tuple[str, Any]] = [("shipped", None), ("before: k=60, dense 1 whatever the language", (-1.0, 60))]
    configs += [(f"k={k}, dense {w:g}", (w, k)) for k in RRF_KS for w in DENSE_WEIGHTS]
    for label, config in configs:
        cells = []
        for name in names:
            index, kept, analysed = prepared[name]
            for lang in ("ar", "en"):
                ranks = [
                    file_rank(index, a, fusion_of(*config, a) if config else None, q["sources"])
                    for q, a in zip(kept, analysed, strict=True)
                    if q.get("lang") == lang
                ]
                cells.append(scores(ranks))
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
