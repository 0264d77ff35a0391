"""The evaluation runner, the question-file format and the ``python -m eval`` command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import eval.cli
from assistant.errors import UserError
from assistant.models import Answer, Chunk, Citation, Mode, Retrieved
from eval.cli import main
from eval.qafile import QAFileError, Question, load_answers, load_questions
from eval.runner import run_questions

MODE = Mode("fake-embedder", "none")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def fake_answer(question: str, source: str = "a.txt") -> Answer:
    chunk = Chunk(chunk_id=f"{source}#0", source=source, text="نص المقال", start=0, end=9)
    return Answer(
        question=question,
        text="نص المقال [1]",
        language="ar",
        abstained=False,
        citations=(Citation(source=source, quote="نص المقال", start=0, end=9),),
        retrieved=(Retrieved(chunk=chunk, score=0.9),),
        mode=MODE,
    )


class FakeAssistant:
    """Answers every question, records what it was asked, fails on chosen questions."""

    def __init__(self, failures: dict[str, Exception] | None = None) -> None:
        self.asked: list[str] = []
        self.failures = failures or {}
        self.mode = MODE

    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
        self.asked.append(question)
        if question in self.failures:
            raise self.failures[question]
        return fake_answer(question)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


QUESTIONS = [
    Question(id="q1", question="first?", sources=("secret.txt",), facts=(("secret fact",),)),
    Question(id="q2", question="second?"),
    Question(id="q3", question="third?", answerable=False),
]


def test_runner_records_a_failing_question_and_answers_the_others(tmp_path: Path) -> None:
    fake = FakeAssistant({"second?": RuntimeError("index exploded")})
    lines = run_questions(fake.ask, QUESTIONS, tmp_path / "out.jsonl", progress=False)
    assert [line["id"] for line in lines] == ["q1", "q2", "q3"]
    assert lines[1]["error"] == "RuntimeError: index exploded"
    assert (lines[1]["answer"], lines[1]["citations"], lines[1]["retrieved"]) == ("", [], [])
    assert "error" not in lines[0] and "error" not in lines[2]
    assert lines[2]["answer"] == "نص المقال [1]"


def test_a_user_error_is_recorded_as_its_message(tmp_path: Path) -> None:
    fake = FakeAssistant({"first?": UserError("question too long")})
    lines = run_questions(fake.ask, QUESTIONS[:1], tmp_path / "out.jsonl", progress=False)
    assert lines[0]["error"] == "question too long"


def test_runner_passes_only_the_question_text(tmp_path: Path) -> None:
    fake = FakeAssistant()
    run_questions(fake.ask, QUESTIONS, tmp_path / "out.jsonl", progress=False)
    assert fake.asked == ["first?", "second?", "third?"]


def test_each_line_is_the_answer_dict_plus_id_and_latency(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out.jsonl"
    lines = run_questions(FakeAssistant().ask, QUESTIONS[:1], out, progress=False)
    expected = {"id": "q1", **fake_answer("first?").to_dict()}
    assert {k: v for k, v in lines[0].items() if k != "latency_ms"} == expected
    assert isinstance(lines[0]["latency_ms"], float) and lines[0]["latency_ms"] >= 0
    written = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert written == lines


def test_error_lines_carry_the_mode_the_runner_was_given(tmp_path: Path) -> None:
    fake = FakeAssistant({"first?": ValueError()})
    lines = run_questions(
        fake.ask, QUESTIONS[:1], tmp_path / "o.jsonl", progress=False, mode=MODE.to_dict()
    )
    assert lines[0]["mode"] == {"embedder": "fake-embedder", "llm": "none"}
    assert lines[0]["error"] == "ValueError"


def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_questions(FakeAssistant().ask, QUESTIONS, tmp_path / "o.jsonl", progress=True)
    captured = capsys.readouterr()
    assert "3/3" in captured.err
    assert captured.out == ""


# --- question file format -------------------------------------------------------------


def test_a_malformed_json_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "qa.jsonl", ['{"id": "q1", "question": "a?"}', '{"id": "q2",'])
    with pytest.raises(QAFileError, match=r"qa\.jsonl, line 2: invalid JSON"):
        load_questions(path)


def test_a_missing_required_field_names_the_field_and_line(tmp_path: Path) -> None:
    lines = ['{"id": "q1", "question": "a?"}', "", '{"id": "q2", "lang": "en"}']
    path = write_lines(tmp_path / "qa.jsonl", lines)
    with pytest.raises(QAFileError, match=r"line 3: missing required field 'question'"):
        load_questions(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('["q1", "a?"]', "expected a JSON object"),
        ('{"id": "q1", "question": ""}', "'question' must be a non-empty string"),
        (
            '{"id": "q1", "question": "a?", "sources": "x.txt", "answerable": "yes"}',
            "true or false",
        ),
        ('{"id": "q1", "question": "a?", "facts": [[]]}', "empty group"),
        ('{"id": "q1", "question": "a?", "facts": [[1]]}', "facts[1]"),
        ('{"id": "q1", "question": "a?", "lang": 3}', "'lang' must be a string"),
    ],
)
def test_invalid_fields_are_reported_with_their_line(
    tmp_path: Path, line: str, message: str
) -> None:
    path = write_lines(tmp_path / "qa.jsonl", [line])
    with pytest.raises(QAFileError, match="line 1") as info:
        load_questions(path)
    assert message in str(info.value)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    lines = ['{"id": "q1", "question": "a?"}', '{"id": "q1", "question": "b?"}']
    with pytest.raises(QAFileError, match="line 2: duplicate id 'q1'"):
        load_questions(write_lines(tmp_path / "qa.jsonl", lines))


def test_an_empty_question_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(QAFileError, match="no questions"):
        load_questions(write_lines(tmp_path / "qa.jsonl", [""]))


def test_optional_fields_default_and_unknown_fields_are_ignored(tmp_path: Path) -> None:
    lines = ['{"id": 7, "question": "a?", "difficulty": "hard", "facts": ["x", ["y", "z"]]}']
    (question,) = load_questions(write_lines(tmp_path / "qa.jsonl", lines))
    assert question == Question(
        id="7", question="a?", lang="unknown", kind="unknown", facts=(("x",), ("y", "z"))
    )


def test_answers_file_is_indexed_by_id(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "a.jsonl", ['{"id": "q1", "answer": "x"}', '{"id": "q2"}'])
    assert set(load_answers(path)) == {"q1", "q2"}


# --- command line ---------------------------------------------------------------------


def test_cli_reports_a_malformed_question_file_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qa = write_lines(tmp_path / "qa.jsonl", ['{"id": "q1", "question": "a?"}', "{oops"])
    status = main(["--qa", str(qa), "--answers", str(tmp_path / "out.jsonl")])
    err = capsys.readouterr().err
    assert status == 2
    assert f"error: {qa}, line 2: invalid JSON" in err
    assert "Traceback" not in err


def test_cli_runs_questions_through_the_assistant_and_writes_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeAssistant({"b?": RuntimeError("boom")})
    monkeypatch.setattr(eval.cli, "_open_assistant", lambda: (fake, SimpleNamespace()))
    lines = [
        '{"id": "q1", "question": "a?", "lang": "ar", "sources": ["a.txt"], "facts": [["نص"]]}',
        '{"id": "q2", "question": "b?", "lang": "en"}',
    ]
    qa = write_lines(tmp_path / "qa.jsonl", lines)
    answers, report = tmp_path / "answers.jsonl", tmp_path / "report"
    status = main(
        ["--qa", str(qa), "--answers", str(answers), "--report", str(report), "--no-progress"]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "mode: embedder=fake-embedder · llm=none" in out
    assert "| Source hit@1 | 100.0% |" in out
    written = load_answers(answers)
    assert written["q2"]["error"] == "RuntimeError: boom"
    assert written["q2"]["mode"] == {"embedder": "fake-embedder", "llm": "none"}
    assert (report / "report.md").is_file()


def test_cli_without_arguments_shows_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "--qa" in capsys.readouterr().err


@pytest.mark.slow
def test_python_m_eval_runs_end_to_end_with_the_hashing_embedder(tmp_path: Path) -> None:
    pytest.importorskip("assistant.service", reason="assistant/service.py is not written yet")
    source_lines = (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8")
    picked = [json.loads(x) for x in source_lines.splitlines()]
    picked = [q for q in picked if q["lang"] == "ar" and q["answerable"]][:2] + [
        q for q in picked if not q["answerable"]
    ][:1]
    qa = write_lines(tmp_path / "qa.jsonl", [json.dumps(q, ensure_ascii=False) for q in picked])
    answers, report = tmp_path / "answers.jsonl", tmp_path / "report"
    env = {
        **os.environ,
        "ASSISTANT_STORE_DIR": str(tmp_path / "store"),
        "ASSISTANT_EMBEDDER": "hashing",
        "ASSISTANT_LLM_PROVIDER": "none",
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "eval", "--qa", str(qa), "--answers", str(answers)]
    result = subprocess.run(
        [*command, "--report", str(report)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    written = load_answers(answers)
    assert set(written) == {q["id"] for q in picked}
    assert not [line["error"] for line in written.values() if "error" in line]
    assert all(line["mode"]["embedder"] for line in written.values())
    assert "hashing" in (report / "report.md").read_text(encoding="utf-8")
    metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n_questions"] == 3


def test_a_question_set_over_its_own_article_folder_is_indexed_apart_from_the_main_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = tmp_path / "heldout"
    articles.mkdir()
    for path in sorted((PROJECT_ROOT / "eval" / "heldout" / "articles").glob("*.txt"))[:2]:
        (articles / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hashing")
    monkeypatch.setenv("ASSISTANT_LLM_PROVIDER", "none")
    question = "ما قدرة المجمع الشمسي الذي يعتزم المغرب إنشاؤه في طاطا؟"
    line = {"id": "h1", "question": question, "lang": "ar", "sources": ["h01_morocco_solar.txt"]}
    qa = write_lines(tmp_path / "qa.jsonl", [json.dumps(line, ensure_ascii=False)])
    answers = tmp_path / "answers.jsonl"
    status = main(["--qa", str(qa), "--answers", str(answers), "--data-dir", str(articles), "--no-progress"])
    assert status == 0
    written = load_answers(answers)["h1"]
    assert written["retrieved"][0]["source"] == "h01_morocco_solar.txt"
    stores = [p.name for p in (tmp_path / "store").iterdir()]
    assert stores and all(name.startswith("eval-heldout-") for name in stores)


def test_a_data_dir_that_is_not_a_folder_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qa = write_lines(tmp_path / "qa.jsonl", ['{"id": "q1", "question": "a?"}'])
    status = main(["--qa", str(qa), "--answers", str(tmp_path / "a.jsonl"), "--data-dir", str(tmp_path / "nope")])
    assert status == 2
    assert "not a folder" in capsys.readouterr().err
