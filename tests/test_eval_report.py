"""The report folder (Markdown, JSON, PNG charts) and the side-by-side comparison."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.cli import main
from eval.metrics import compute_metrics
from eval.qafile import Question
from eval.report import render_compare, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
QUESTIONS = [
    Question(id="q1", question="Where?", lang="en", kind="date_place", sources=("a.txt",)),
    Question(
        id="q2", question="أين؟", lang="ar", kind="fact", sources=("b.txt",), facts=(("طشقند",),)
    ),
    Question(id="q3", question="Oil prices?", lang="en", kind="unanswerable", answerable=False),
]


def line(qid: str, first: str, *, abstained: bool = False, llm: str = "none") -> dict[str, Any]:
    return {
        "id": qid,
        "question": qid,
        "answer": "في طشقند" if not abstained else "لا تذكر المقالات ذلك",
        "language": "ar",
        "abstained": abstained,
        "citations": [{"source": first, "quote": "x", "start": 0, "end": 1}],
        "retrieved": [{"source": first, "chunk_id": "c", "score": 1.0}],
        "mode": {"embedder": "hashing-ngram-512", "llm": llm},
        "latency_ms": 12.5,
    }


RUN_A = {"q1": line("q1", "a.txt"), "q2": line("q2", "a.txt"), "q3": line("q3", "a.txt")}
RUN_B = {
    "q1": line("q1", "a.txt", llm="ollama:qwen"),
    "q2": line("q2", "b.txt", llm="ollama:qwen"),
    "q3": line("q3", "a.txt", abstained=True, llm="ollama:qwen"),
}


def write_answers(path: Path, answers: dict[str, dict[str, Any]]) -> Path:
    text = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in answers.values())
    path.write_text(text, encoding="utf-8")
    return path


def write_questions(path: Path) -> Path:
    rows = [
        {
            "id": q.id,
            "question": q.question,
            "lang": q.lang,
            "kind": q.kind,
            "sources": list(q.sources),
            "facts": [list(g) for g in q.facts],
            "answerable": q.answerable,
        }
        for q in QUESTIONS
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_report_folder_holds_markdown_json_and_png_charts(tmp_path: Path) -> None:
    paths = write_report(compute_metrics(QUESTIONS, RUN_A), tmp_path / "report")
    names = sorted(p.name for p in paths)
    assert names == [
        "latency_histogram.png",
        "metrics.json",
        "metrics_by_language.png",
        "report.md",
    ]
    for png in (p for p in paths if p.suffix == ".png"):
        assert png.read_bytes()[:8] == PNG_MAGIC
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"]["hit@1"] == pytest.approx(0.5)


def test_report_states_the_mode_and_has_tables_by_language_and_kind(tmp_path: Path) -> None:
    write_report(compute_metrics(QUESTIONS, RUN_A), tmp_path)
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "**Mode:** embedder=hashing-ngram-512 · llm=none" in report
    assert "| Metric | overall (n=3) | ar (n=1) | en (n=2) |" in report
    assert "| Metric | fact (n=1) | date_place (n=1) | unanswerable (n=1) |" in report
    assert "| Source hit@1 | 50.0% | 0.0% | 100.0% |" in report
    assert "- `q2` (ar, fact) rank" not in report  # b.txt was never retrieved
    assert "- `q2` (ar, fact) not retrieved: أين؟" in report
    assert "- `q3` (en, unanswerable) did not abstain: Oil prices?" in report


def test_report_draws_charts_even_when_every_question_failed(tmp_path: Path) -> None:
    paths = write_report(compute_metrics(QUESTIONS, {}), tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)
    assert "3 errors, of which 3 had no line" in (tmp_path / "report.md").read_text("utf-8")


def test_compare_lists_metrics_side_by_side_with_the_difference() -> None:
    text = render_compare(
        compute_metrics(QUESTIONS, RUN_A), compute_metrics(QUESTIONS, RUN_B), "a.jsonl", "b.jsonl"
    )
    assert "| Metric | A | B | B − A |" in text
    assert "| Source hit@1 | 50.0% | 100.0% | +50.0 pp ✓ |" in text
    assert "| Abstention accuracy (unanswerable) | 0.0% | 100.0% | +100.0 pp ✓ |" in text
    assert "llm=ollama:qwen" in text


def test_compare_lists_questions_whose_hit_or_abstention_changed() -> None:
    text = render_compare(
        compute_metrics(QUESTIONS, RUN_A), compute_metrics(QUESTIONS, RUN_B), "a", "b"
    )
    assert "changed (2)" in text
    assert "- `q2` (ar, fact, answerable) hit@1 miss → hit: أين؟" in text
    assert "- `q3` (en, unanswerable, unanswerable) abstained no → yes: Oil prices?" in text
    assert "`q1`" not in text.split("changed (2)")[1]


def test_compare_command_prints_the_table_and_writes_compare_md(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qa = write_questions(tmp_path / "qa.jsonl")
    a = write_answers(tmp_path / "a.jsonl", RUN_A)
    b = write_answers(tmp_path / "b.jsonl", RUN_B)
    status = main(["compare", str(a), str(b), "--qa", str(qa), "--report", str(tmp_path / "cmp")])
    out = capsys.readouterr().out
    assert status == 0
    assert "| Source hit@1 | 50.0% | 100.0% | +50.0 pp ✓ |" in out
    assert (tmp_path / "cmp" / "compare.md").read_text(encoding="utf-8") == out


def test_report_command_scores_an_existing_answers_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qa = write_questions(tmp_path / "qa.jsonl")
    answers = write_answers(tmp_path / "a.jsonl", RUN_B)
    status = main(["report", str(answers), "--qa", str(qa), "--report", str(tmp_path / "r")])
    assert status == 0
    assert "| Source hit@1 | 100.0% |" in capsys.readouterr().out
    assert (tmp_path / "r" / "metrics_by_language.png").read_bytes()[:8] == PNG_MAGIC


def test_compare_names_a_malformed_answers_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qa = write_questions(tmp_path / "qa.jsonl")
    a = write_answers(tmp_path / "a.jsonl", RUN_A)
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"id": "q1"}\nnot json\n', encoding="utf-8")
    assert main(["compare", str(a), str(bad), "--qa", str(qa)]) == 2
    assert f"{bad}, line 2: invalid JSON" in capsys.readouterr().err
