"""Retrieval ablation: what each step of the offline retriever adds, by language.

``python -m eval.ablation --qa eval/questions.jsonl`` indexes the current store's chunks
under several analysers and prints file-level hit@1, hit@3 and MRR for Arabic and
English questions, adding one step at a time:

raw tokens → + normalisation → + stemming → + name folding → + English bridge →
+ fusion with dense (hybrid) → + speaker attribution (the shipped retriever).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import bm25s

from assistant import arabic
from assistant.index import Index, open_index
from assistant.retrieval import analyse_query, retrieve, search
from assistant.settings import Settings

Analyser = Callable[[str], list[str]]


def _raw(text: str) -> list[str]:
    return re.findall(r"\w\w+", text.lower())


def _normalised(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", arabic.normalize(text)) if len(w) > 1]


def _stemmed_no_folds(text: str) -> list[str]:
    with (
        mock.patch.dict(arabic.NAME_FOLDS, {}, clear=True),
        mock.patch.object(arabic, "_CANONICAL_NAMES", {}),
    ):
        arabic.analyse_word.cache_clear()
        terms = arabic.analyse(text)
    arabic.analyse_word.cache_clear()
    return terms


def _bridged(analyser: Analyser) -> Callable[[str], list[str]]:
    def query_terms(question: str) -> list[str]:
        if arabic.detect_language(question) == "en":
            from assistant.bridge import bridge_query

            return analyser(bridge_query(question).text)
        return analyser(question)

    return query_terms


def bm25_files(
    index: Index, analyser: Analyser, query_analyser: Analyser, questions: list[dict]
) -> list[list[str]]:
    """Ranked source files per question for a BM25 index built with ``analyser``."""
    chunks = list(index.store.all_chunks())
    model = bm25s.BM25()
    model.index([analyser(c.text) or [""] for c in chunks], show_progress=False)
    ranked = []
    for q in questions:
        terms = [t for t in query_analyser(q["question"]) if t in model.vocab_dict]
        if not terms:
            ranked.append([])
            continue
        scores = model.get_scores(terms)
        order = sorted(range(len(chunks)), key=lambda i: -scores[i])
        ranked.append(list(dict.fromkeys(chunks[i].source for i in order if scores[i] > 0)))
    return ranked


def shipped_files(
    index: Index, questions: list[dict], use: tuple[str, ...], speakers: bool
) -> list[list[str]]:
    """Ranked files from the shipped retriever (optionally without speaker attribution)."""
    ranked = []
    for q in questions:
        if speakers:
            _, results = retrieve(index, q["question"], 10)
        else:
            analysis = analyse_query(
                q["question"], index.lexical.words if index.lexical else frozenset()
            )
            analysis.speakers = []
            results = search(index, analysis, 10, use=use)
        ranked.append(list(dict.fromkeys(r.chunk.source for r in results)))
    return ranked


def scores(
    questions: list[dict], ranked: list[list[str]], lang: str
) -> tuple[float, float, float, int]:
    """hit@1, hit@3, MRR over answerable questions of ``lang`` ("all" for every language)."""
    h1 = h3 = rr = 0.0
    n = 0
    for q, files in zip(questions, ranked, strict=True):
        if not q.get("answerable", True) or (lang != "all" and q.get("lang") != lang):
            continue
        n += 1
        rank = next((i for i, f in enumerate(files, 1) if f in q["sources"]), None)
        h1 += rank == 1
        h3 += rank is not None and rank <= 3
        rr += 1 / rank if rank else 0
    return (h1 / n, h3 / n, rr / n, n) if n else (0.0, 0.0, 0.0, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path, default=Path("eval/questions.jsonl"))
    args = parser.parse_args()
    questions = [
        json.loads(x) for x in args.qa.read_text(encoding="utf-8").splitlines() if x.strip()
    ]
    index = open_index(Settings())
    steps = {
        "BM25, raw tokens": bm25_files(index, _raw, _raw, questions),
        "+ normalisation": bm25_files(index, _normalised, _normalised, questions),
        "+ stemming": bm25_files(index, _stemmed_no_folds, _stemmed_no_folds, questions),
        "+ name folding": bm25_files(index, arabic.analyse, arabic.analyse, questions),
        "+ English bridge": bm25_files(index, arabic.analyse, _bridged(arabic.analyse), questions),
        "dense alone (bridged)": shipped_files(index, questions, ("dense",), speakers=False),
        "+ fusion (dense + BM25)": shipped_files(
            index, questions, ("dense", "bm25"), speakers=False
        ),
        "+ speaker attribution": shipped_files(index, questions, ("dense", "bm25"), speakers=True),
    }
    print(f"embedder: {index.embedder.id}\n")
    print("| step | ar hit@1 | ar hit@3 | ar MRR | en hit@1 | en hit@3 | en MRR |")
    print("|---|---|---|---|---|---|---|")
    for name, ranked in steps.items():
        ar, en = scores(questions, ranked, "ar"), scores(questions, ranked, "en")
        print(
            f"| {name} | {ar[0]:.0%} | {ar[1]:.0%} | {ar[2]:.3f} | {en[0]:.0%} | {en[1]:.0%} | {en[2]:.3f} |"
        )


if __name__ == "__main__":
    main()
