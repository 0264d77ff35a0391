"""``python -m eval suite``: the main set and the held-out sets answered into one report with a
column per set and language, and ``compare`` of two suite folders set by set (issue 13).

The end-to-end tests run the real assistant (hashing embedder, real Chroma in a temp folder)
on small sets built from the bundled and the first held-out articles; never on a sealed set.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import eval.suite
from assistant.errors import UserError
from eval.cli import main
from eval.qafile import load_questions
from eval.suite import SETS, EvalSet, select_sets

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_the_suite_runs_the_main_set_then_each_held_out_set_by_default() -> None:
    assert [s.name for s in select_sets(None)] == [
        "main",
        "heldout",
        "calibration",
        "heldout2",
        "heldout3",
        "heldout4",
        "heldout5",
        "heldout6",
    ]
    assert "never tuned" in SETS[-1].purpose and "tuned on" in SETS[0].purpose


def test_only_the_newest_held_out_set_is_described_as_sealed() -> None:
    assert [s.name for s in SETS if "sealed" in s.purpose] == ["heldout6"]
    assert SETS[-1].articles == PROJECT_ROOT / "eval" / "heldout6" / "articles"


@pytest.mark.parametrize("eval_set", SETS, ids=lambda s: s.name)
def test_each_set_names_a_question_file_and_the_article_folder_its_sources_are_in(
    eval_set: EvalSet,
) -> None:
    articles = {p.name for p in eval_set.articles.glob("*.txt")}
    sources = {src for q in load_questions(eval_set.qa) for src in q.sources}
    assert articles and sources <= articles


@pytest.mark.parametrize("names", ["nope", "main,nope", " , "])
def test_an_unknown_set_name_is_a_user_error_listing_the_sets(names: str) -> None:
    with pytest.raises(
        UserError,
        match="main, heldout, calibration, heldout2, heldout3, heldout4, heldout5, heldout6",
    ):
        select_sets(names)


def small_set(tmp_path: Path, name: str, articles: list[Path], lines: list[dict]) -> EvalSet:
    """A question set over copies of ``articles`` in a folder of its own under ``tmp_path``."""
    folder = tmp_path / f"{name}-articles"
    folder.mkdir()
    for path in articles:
        shutil.copy(path, folder / path.name)
    qa = tmp_path / f"{name}.jsonl"
    qa.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    return EvalSet(name, qa, folder, f"{name} for the test")


@pytest.fixture
def two_sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[EvalSet]:
    """Two small sets standing in for :data:`eval.suite.SETS`, and a hashing-embedder setup."""
    monkeypatch.setenv("ASSISTANT_STORE_DIR", str(tmp_path / "default-store"))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hashing")
    monkeypatch.setenv("ASSISTANT_LLM_PROVIDER", "none")
    heldout = sorted((PROJECT_ROOT / "eval" / "heldout" / "articles").glob("*.txt"))[:2]
    bundled = sorted((PROJECT_ROOT / "data" / "articles").glob("*.txt"))[:2]
    solar = "ما قدرة المجمع الشمسي الذي يعتزم المغرب إنشاؤه في طاطا؟"
    sets = [
        small_set(
            tmp_path,
            "alpha",
            heldout,
            [
                {"id": "a1", "question": solar, "lang": "ar", "sources": [heldout[0].name]},
                {"id": "a2", "question": "How big is the solar complex near Tata?", "lang": "en"},
            ],
        ),
        small_set(
            tmp_path,
            "beta",
            bundled,
            [{"id": "b1", "question": "من التقى لافروف في الهند؟", "lang": "ar"}],
        ),
    ]
    monkeypatch.setattr(eval.suite, "SETS", tuple(sets))
    return sets


def run_suite(out: Path, tmp_path: Path) -> int:
    return main(
        ["suite", "--out", str(out), "--store-dir", str(tmp_path / "stores"), "--no-progress"]
    )


@pytest.mark.slow
def test_a_suite_run_writes_each_sets_answers_and_report_and_one_table_per_set_and_language(
    two_sets: list[EvalSet], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "suite"
    assert run_suite(out, tmp_path) == 0
    for eval_set in two_sets:
        assert set(json.loads(x)["id"] for x in (out / f"{eval_set.name}.jsonl").open()) == {
            q.id for q in load_questions(eval_set.qa)
        }
        assert (out / eval_set.name / "report.md").is_file()
        assert (tmp_path / "stores" / eval_set.name).is_dir()  # each set indexed apart
    suite = (out / "suite.md").read_text(encoding="utf-8")
    assert "| Metric | alpha (n=2) | beta (n=1) |" in suite
    assert "| Metric | alpha ar (n=1) | alpha en (n=1) | beta ar (n=1) |" in suite
    assert "alpha for the test" in suite and "embedder=hashing" in suite
    assert suite in capsys.readouterr().out
    assert not (tmp_path / "default-store").exists()


@pytest.mark.slow
def test_two_suite_folders_compare_set_by_set_and_language_by_language(
    two_sets: list[EvalSet], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    assert run_suite(before, tmp_path) == 0
    shutil.copytree(before, after)
    lines = [json.loads(x) for x in (after / "alpha.jsonl").open(encoding="utf-8")]
    for line in lines:
        line["abstained"] = not line["abstained"]
    (after / "alpha.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    capsys.readouterr()
    assert main(["compare", str(before), str(after), "--report", str(tmp_path / "cmp")]) == 0
    text = capsys.readouterr().out
    assert "# Comparison: alpha" in text and "# Comparison: beta" in text
    assert "### Questions in ar (n=1)" in text and "### Questions in en (n=1)" in text
    alpha = text.split("# Comparison: beta")[0]
    assert "`a1` (ar" in alpha and "`a2` (en" in alpha
    assert (
        "## Questions whose hit@1 or abstention changed (0)" in text.split("# Comparison: beta")[1]
    )
    assert (tmp_path / "cmp" / "compare.md").read_text(encoding="utf-8") == text


def test_suite_folders_without_a_set_in_common_are_a_one_line_error(
    two_sets: list[EvalSet], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for folder, name in ((tmp_path / "x", "alpha"), (tmp_path / "y", "beta")):
        folder.mkdir()
        (folder / "suite.md").write_text("# suite\n", encoding="utf-8")
        (folder / f"{name}.jsonl").write_text('{"id": "a1"}\n', encoding="utf-8")
    assert main(["compare", str(tmp_path / "x"), str(tmp_path / "y")]) == 2
    assert "no question set answered in both" in capsys.readouterr().err


def test_a_malformed_question_file_stops_the_suite_before_any_set_is_answered(
    two_sets: list[EvalSet], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two_sets[1].qa.write_text("{not json\n", encoding="utf-8")
    assert run_suite(tmp_path / "out", tmp_path) == 2
    assert "invalid JSON" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
