"""Metric arithmetic of the evaluation on hand-made questions and answer lines."""

from __future__ import annotations

from typing import Any

import pytest

from eval.metrics import (
    MISSING_ANSWER,
    aggregate,
    citation_scores,
    compute_metrics,
    fact_group_met,
    percentile,
    ranked_files,
    score_question,
    source_rank,
)
from eval.qafile import Question


def line(
    qid: str,
    *,
    answer: str = "",
    retrieved: list[str] | None = None,
    cited: list[str] | None = None,
    abstained: bool = False,
    language: str = "ar",
    latency_ms: float = 10.0,
    error: str | None = None,
    judge: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An answers-file line as the runner writes it."""
    out: dict[str, Any] = {
        "id": qid,
        "question": f"question {qid}",
        "answer": answer,
        "language": language,
        "abstained": abstained,
        "citations": [{"source": s, "quote": "q", "start": 0, "end": 1} for s in cited or []],
        "retrieved": [
            {"source": s, "chunk_id": f"{s}#{i}", "score": 1.0 / (i + 1)}
            for i, s in enumerate(retrieved or [])
        ],
        "mode": {"embedder": "hashing", "llm": "none"},
        "latency_ms": latency_ms,
    }
    if error is not None:
        out["error"] = error
    if judge is not None:
        out["judge"] = judge
    return out


def question(qid: str, **fields: Any) -> Question:
    fields.setdefault("question", f"question {qid}")
    return Question(id=qid, **fields)


def test_ranked_files_keep_each_source_once_at_its_first_rank() -> None:
    retrieved = [{"source": "a"}, {"source": "a"}, {"source": "b"}, {"source": "a"}]
    assert ranked_files(retrieved) == ["a", "b"]


def test_source_rank_counts_files_not_chunks() -> None:
    retrieved = [{"source": "x"}, {"source": "x"}, {"source": "x"}, {"source": "b"}]
    assert source_rank(retrieved, ["b"]) == 2


def test_source_rank_is_none_when_no_source_was_retrieved() -> None:
    assert source_rank([{"source": "x"}], ["b"]) is None
    assert source_rank([], ["b"]) is None


def test_hit_at_1_hit_at_3_and_mrr_average_over_questions_with_sources() -> None:
    questions = [
        question("q1", sources=("a",)),
        question("q2", sources=("c",)),
        question("q3", sources=("z",)),
        question("q4", answerable=False),
    ]
    answers = {
        "q1": line("q1", retrieved=["a", "b"]),
        "q2": line("q2", retrieved=["a", "a", "b", "c"]),
        "q3": line("q3", retrieved=["a", "b", "c", "d"]),
        "q4": line("q4", retrieved=["a"]),
    }
    overall = compute_metrics(questions, answers)["overall"]
    assert overall["hit@1"] == pytest.approx(1 / 3)
    assert overall["hit@3"] == pytest.approx(2 / 3)
    assert overall["mrr"] == pytest.approx((1 + 1 / 3 + 0) / 3)


def test_a_question_with_several_sources_hits_on_any_of_them() -> None:
    record = score_question(question("q", sources=("a", "b")), line("q", retrieved=["b", "a"]))
    assert record["hit@1"] is True
    assert record["rr"] == 1.0


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        ("مُسْتَقِلّ", "اتخاذ موقف مستقل وعادل"),
        ("مستقـــل", "اتخاذ موقف مستقل وعادل"),
        ("مستقل", "اتخاذ مَوْقِفٍ مُسْتَقِلٍّ"),
        ("الأمم المتحدة", "دور الامم المتحده المركزي"),
        ("إيران", "ايران"),
        ("آسيا", "اسيا"),
        ("مؤتمر", "موتمر صحفي"),
        ("الهادئ", "المحيط الهادي"),
        ("على", "علي الساحة"),
        ("Independent", "China will take an INDEPENDENT and fair position"),
        ("زخماً جديداً", "ستعطي زخما جديدا للعلاقات"),
    ],
)
def test_fact_matching_normalises_diacritics_tatweel_hamza_and_case(fact: str, answer: str) -> None:
    assert fact_group_met(answer, [fact])


def test_fact_group_is_met_by_any_of_its_strings() -> None:
    assert fact_group_met(
        "the ministers talked about peace talks", ["محادثات السلام", "peace talks"]
    )


def test_fact_group_is_not_met_when_none_of_its_strings_occurs() -> None:
    assert not fact_group_met("قال وانغ إن الصين ستواصل", ["مستقل", "independent"])
    assert not fact_group_met("", ["مستقل"])


def test_fact_recall_is_the_share_of_groups_met_over_answerable_questions() -> None:
    questions = [
        question("q1", facts=(("مستقل", "independent"), ("محادثات السلام",))),
        question("q2", facts=(("طشقند", "Tashkent"),)),
        question("q3", answerable=False),
    ]
    answers = {
        "q1": line("q1", answer="موقف مُستقل"),
        "q2": line("q2", answer="They met in Tashkent."),
        "q3": line("q3", answer="طشقند مستقل", abstained=True),
    }
    metrics = compute_metrics(questions, answers)
    assert metrics["overall"]["fact_recall"] == pytest.approx((0.5 + 1.0) / 2)
    assert metrics["questions"][0]["facts_met"] == 1
    assert metrics["questions"][2]["fact_recall"] is None


def test_citation_precision_and_recall_compare_cited_files_with_sources() -> None:
    assert citation_scores(["a", "b"], ["a", "c"]) == (0.5, 0.5)
    assert citation_scores(["a"], ["a", "b", "c", "d"]) == (1.0, 0.25)


def test_citation_precision_is_skipped_when_nothing_is_cited() -> None:
    questions = [question("q1", sources=("a",)), question("q2", sources=("a", "b"))]
    answers = {"q1": line("q1"), "q2": line("q2", cited=["a", "a", "c"])}
    overall = compute_metrics(questions, answers)["overall"]
    assert overall["citation_precision"] == pytest.approx(0.5)
    assert overall["citation_recall"] == pytest.approx((0.0 + 0.5) / 2)


def test_citations_of_unanswerable_questions_are_not_scored() -> None:
    record = score_question(question("q", answerable=False), line("q", cited=["a"]))
    assert record["citation_precision"] is None
    assert record["citation_recall"] is None


def test_abstention_accuracy_and_false_abstention_rate_split_by_answerability() -> None:
    questions = [
        question("u1", answerable=False),
        question("u2", answerable=False),
        question("a1", sources=("a",)),
        question("a2", sources=("a",)),
        question("a3", sources=("a",)),
        question("a4", sources=("a",)),
    ]
    abstained = {"u1": True, "u2": False, "a1": True, "a2": False, "a3": False, "a4": False}
    answers = {qid: line(qid, abstained=value) for qid, value in abstained.items()}
    overall = compute_metrics(questions, answers)["overall"]
    assert overall["abstention_accuracy"] == pytest.approx(0.5)
    assert overall["false_abstention_rate"] == pytest.approx(0.25)
    assert (overall["n_answerable"], overall["n_unanswerable"]) == (4, 2)


def test_no_unanswerable_questions_leaves_abstention_accuracy_undefined() -> None:
    overall = compute_metrics([question("q", sources=("a",))], {"q": line("q")})["overall"]
    assert overall["abstention_accuracy"] is None


def test_language_match_compares_answer_language_with_question_lang() -> None:
    questions = [
        question("q1", lang="en"),
        question("q2", lang="ar"),
        question("q3"),  # lang unknown: not scored
    ]
    answers = {
        "q1": line("q1", language="en"),
        "q2": line("q2", language="en"),
        "q3": line("q3", language="en"),
    }
    metrics = compute_metrics(questions, answers)
    assert metrics["overall"]["language_match"] == pytest.approx(0.5)
    assert metrics["questions"][2]["language_match"] is None


def test_latency_percentiles_and_answer_length_ignore_errored_lines() -> None:
    questions = [question(f"q{i}") for i in range(5)]
    answers = {
        f"q{i}": line(f"q{i}", answer="x" * (i + 1), latency_ms=10.0 * (i + 1)) for i in range(4)
    }
    answers["q4"] = line("q4", latency_ms=1.0, error="boom")
    overall = compute_metrics(questions, answers)["overall"]
    assert overall["latency_p50_ms"] == pytest.approx(25.0)
    assert overall["latency_p95_ms"] == pytest.approx(38.5)
    assert overall["median_answer_chars"] == pytest.approx(2.5)
    assert overall["errors"] == 1
    assert overall["error_rate"] == pytest.approx(0.2)


def test_an_errored_line_counts_as_a_miss_for_retrieval_and_facts() -> None:
    q = question("q", sources=("a",), facts=(("مستقل",),))
    record = score_question(q, line("q", error="RuntimeError: boom"))
    assert (record["hit@1"], record["rr"], record["fact_recall"]) == (False, 0.0, 0.0)
    assert record["error"] == "RuntimeError: boom"


def test_a_question_missing_from_the_answers_file_is_an_error() -> None:
    metrics = compute_metrics([question("q1"), question("q2")], {"q1": line("q1")})
    assert metrics["n_missing"] == 1
    assert metrics["questions"][1]["error"] == MISSING_ANSWER


def test_answer_lines_without_a_question_are_listed_and_ignored() -> None:
    metrics = compute_metrics([question("q1")], {"q1": line("q1"), "zz": line("zz")})
    assert metrics["unmatched_answer_ids"] == ["zz"]
    assert metrics["overall"]["n"] == 1


def test_metrics_are_grouped_by_language_and_by_kind_with_unknown_for_missing_kind() -> None:
    questions = [
        question("q1", lang="en", kind="fact", sources=("a",)),
        question("q2", lang="ar", kind="fact", sources=("a",)),
        question("q3", lang="ar", sources=("a",)),
    ]
    answers = {
        "q1": line("q1", retrieved=["a"]),
        "q2": line("q2", retrieved=["b"]),
        "q3": line("q3", retrieved=["a"]),
    }
    metrics = compute_metrics(questions, answers)
    assert list(metrics["by_lang"]) == ["ar", "en"]
    assert metrics["by_lang"]["ar"]["hit@1"] == pytest.approx(0.5)
    assert metrics["by_lang"]["en"]["hit@1"] == pytest.approx(1.0)
    assert list(metrics["by_kind"]) == ["fact", "unknown"]
    assert metrics["by_kind"]["fact"]["n"] == 2


def test_modes_are_collected_from_answered_lines_only() -> None:
    broken = line("q2", error="boom")
    broken["mode"] = {"embedder": "", "llm": ""}
    metrics = compute_metrics([question("q1"), question("q2")], {"q1": line("q1"), "q2": broken})
    assert metrics["modes"] == [{"embedder": "hashing", "llm": "none"}]


def test_judge_scores_are_averaged_when_present() -> None:
    records = [
        score_question(question("q1"), line("q1", judge={"faithfulness": 4, "correctness": 5})),
        score_question(question("q2"), line("q2", judge={"error": "timeout"})),
        score_question(question("q3"), line("q3")),
    ]
    overall = aggregate(records)
    assert overall["judge_faithfulness"] == pytest.approx(4.0)
    assert overall["judge_correctness"] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 50, None), ([7.0], 95, 7.0), ([1.0, 2.0, 3.0], 50, 2.0), ([1.0, 3.0], 50, 2.0)],
)
def test_percentile_interpolates_linearly(
    values: list[float], q: float, expected: float | None
) -> None:
    assert percentile(values, q) == expected
