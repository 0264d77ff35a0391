"""The optional LLM-as-judge, driven by LangChain's scripted fake chat model."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field

from assistant.models import Answer, Chunk, Citation, Mode, Retrieved
from assistant.prompts import render_messages, variables
from assistant.settings import Settings
from eval.judge import SKIPPED_MESSAGE, build_judge, make_judge, parse_scores
from eval.qafile import Question
from eval.runner import run_questions

QUESTION = Question(id="q1", question="What did Wang Yi say?", sources=("secret.txt",))


def answer() -> Answer:
    chunk = Chunk(
        chunk_id="c1",
        source="004.txt",
        text="قال وانغ إن الصين ستتخذ موقفا مستقلا",
        start=0,
        end=36,
    )
    return Answer(
        question=QUESTION.question,
        text="China will take an independent position [1]",
        language="en",
        abstained=False,
        citations=(Citation(source="004.txt", quote="موقفا مستقلا", start=24, end=36),),
        retrieved=(Retrieved(chunk=chunk, score=0.8),),
        mode=Mode("hashing", "fake"),
    )


class RecordingChat(FakeListChatModel):
    """A fake chat model that keeps the messages it was sent."""

    seen: list[list[object]] = Field(default_factory=list)

    def invoke(self, input, config=None, **kwargs):  # type: ignore[no-untyped-def,override]
        self.seen.append(input)
        return super().invoke(input, config, **kwargs)


def test_judge_prompt_uses_exactly_question_answer_and_passages() -> None:
    assert variables("judge") == {"question", "answer", "passages"}
    roles = [role for role, _ in render_messages("judge", question="q", answer="a", passages="p")]
    assert roles == ["system", "user"]


def test_judge_returns_the_scores_the_model_gives() -> None:
    llm = RecordingChat(responses=["faithfulness: 4\ncorrectness: 5\nreason: quotes the call"])
    scores = build_judge(llm)(QUESTION, answer())
    assert scores == {"faithfulness": 4, "correctness": 5, "reason": "quotes the call"}


def test_judge_sees_question_answer_quotes_and_passages_but_not_sources() -> None:
    llm = RecordingChat(responses=["faithfulness: 3\ncorrectness: 3"])
    build_judge(llm)(QUESTION, answer())
    sent = "\n".join(content for _, content in llm.seen[0])
    assert "What did Wang Yi say?" in sent
    assert "China will take an independent position [1]" in sent
    assert "[1] 004.txt: «موقفا مستقلا»" in sent
    assert "[1] (source: 004.txt)\nقال وانغ إن الصين ستتخذ موقفا مستقلا" in sent
    assert "secret.txt" not in sent


def test_an_unreadable_judge_reply_is_recorded_as_an_error() -> None:
    scores = build_judge(FakeListChatModel(responses=["I think it is fine."]))(QUESTION, answer())
    assert scores["error"].startswith("judge reply has no faithfulness score")


class BrokenChat(FakeListChatModel):
    """A fake chat model whose server is down."""

    def invoke(self, input, config=None, **kwargs):  # type: ignore[no-untyped-def,override]
        raise ConnectionError("connection refused")


def test_a_failing_judge_call_is_recorded_and_does_not_raise() -> None:
    scores = build_judge(BrokenChat(responses=[]))(QUESTION, answer())
    assert scores == {"error": "ConnectionError: connection refused"}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Faithfulness: 2\nCorrectness: 1", {"faithfulness": 2, "correctness": 1}),
        ("**faithfulness**: 5\n**correctness** - 4", {"faithfulness": 5, "correctness": 4}),
        ("faithfulness: 9\ncorrectness: 4", None),
        ("", None),
    ],
)
def test_parse_scores_reads_scores_from_1_to_5(reply: str, expected: dict[str, int] | None) -> None:
    result = parse_scores(reply)
    if expected is None:
        assert "error" in result
    else:
        assert result == expected


def test_runner_stores_judge_scores_in_each_line(tmp_path: Path) -> None:
    judge = build_judge(FakeListChatModel(responses=["faithfulness: 5\ncorrectness: 4"]))
    lines = run_questions(lambda q: answer(), [QUESTION], tmp_path / "a.jsonl", False, judge=judge)
    assert lines[0]["judge"] == {"faithfulness": 5, "correctness": 4}


def test_judge_is_skipped_with_a_notice_when_no_llm_is_configured(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert make_judge(Settings(llm_provider="none")) is None
    assert SKIPPED_MESSAGE in capsys.readouterr().err
