"""Turn computed metrics into Markdown tables, a report folder with charts, and comparisons.

``write_report`` writes ``report.md`` (mode, tables overall / per language / per kind, the
questions that went wrong), ``metrics.json`` (everything :func:`eval.metrics.compute_metrics`
returned) and two PNG charts. ``render_compare`` sets two runs side by side. matplotlib is
imported only when a chart is drawn, with the non-interactive Agg backend.

What it does not do: score anything (see :mod:`eval.metrics`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.metrics import METRICS, RATE_METRICS

LANGUAGE_CHART = "metrics_by_language.png"
LATENCY_CHART = "latency_histogram.png"
CHART_METRICS: dict[str, str] = {
    "hit@1": "hit@1",
    "hit@3": "hit@3",
    "fact_recall": "fact recall",
    "citation_precision": "citation precision",
    "abstention_accuracy": "abstention (unanswerable)",
}
_JUDGE_METRICS = ("judge_faithfulness", "judge_correctness")


def format_value(name: str, value: float | None) -> str:
    """A metric value as a report shows it: rates in percent, MRR as a fraction.

    >>> format_value("hit@1", 0.8333), format_value("mrr", 0.5), format_value("hit@3", None)
    ('83.3%', '0.500', '–')
    """
    if value is None:
        return "–"
    if name in RATE_METRICS:
        return f"{100.0 * value:.1f}%"
    if name.endswith("_ms") or name == "median_answer_chars":
        return f"{value:.0f}"
    if name.startswith("judge_"):
        return f"{value:.2f}"
    return f"{value:.3f}"


def metric_names(groups: Sequence[dict[str, Any]]) -> list[str]:
    """Metrics to show: all but the judge scores, which appear only when some group has them."""
    names = [n for n in METRICS if n not in _JUDGE_METRICS]
    names += [n for n in _JUDGE_METRICS if any(g.get(n) is not None for g in groups)]
    return names


def metrics_table(columns: dict[str, dict[str, Any]]) -> str:
    """Markdown table: one row per metric, one column per group (``overall``, ``ar`` …)."""
    header = ["Metric", *(f"{name} (n={group['n']})" for name, group in columns.items())]
    rows = [header, ["---", *("---:" for _ in columns)]]
    for name in metric_names(list(columns.values())):
        label = METRICS[name][0]
        rows.append([label, *(format_value(name, g.get(name)) for g in columns.values())])
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def describe_modes(modes: Sequence[dict[str, str]]) -> str:
    """``embedder=… · llm=…`` for each mode found in the answers (usually exactly one).

    >>> describe_modes([{"embedder": "hashing-ngram-512", "llm": "none"}])
    'embedder=hashing-ngram-512 · llm=none'
    """
    if not modes:
        return "unknown (no answered question)"
    return "; ".join(f"embedder={m['embedder']} · llm={m['llm']}" for m in modes)


def render_report(metrics: dict[str, Any], title: str = "Q&A evaluation") -> str:
    """The whole ``report.md`` text for one run."""
    overall = metrics["overall"]
    parts = [
        f"# {title}",
        f"**Mode:** {describe_modes(metrics['modes'])}",
        _run_summary(metrics),
        "## Overall and by language",
        metrics_table({"overall": overall, **metrics["by_lang"]}),
        f"![metrics by language]({LANGUAGE_CHART})",
        "## By question kind",
        metrics_table(metrics["by_kind"]),
        "## Latency",
        f"p50 {format_value('latency_p50_ms', overall['latency_p50_ms'])} ms, "
        f"p95 {format_value('latency_p95_ms', overall['latency_p95_ms'])} ms.",
        f"![latency histogram]({LATENCY_CHART})",
        "## Questions to look at",
        _problem_lists(metrics["questions"]),
    ]
    return "\n\n".join(parts) + "\n"


def _run_summary(metrics: dict[str, Any]) -> str:
    overall = metrics["overall"]
    text = (
        f"{metrics['n_questions']} questions ({overall['n_answerable']} answerable, "
        f"{overall['n_unanswerable']} unanswerable); {overall['errors']} errors"
    )
    if metrics["n_missing"]:
        text += f", of which {metrics['n_missing']} had no line in the answers file"
    if metrics["unmatched_answer_ids"]:
        text += f"; {len(metrics['unmatched_answer_ids'])} answer lines matched no question"
    return text + "."


def _problem_lists(records: Sequence[dict[str, Any]]) -> str:
    """Bullet lists of the questions behind the misses, so a reader can open them."""
    sections = [
        ("Errors", [r for r in records if r["error"]], lambda r: r["error"]),
        ("Right file not ranked first", [r for r in records if r["hit@1"] is False], _rank),
        ("Fact groups missed", [r for r in records if _missed_facts(r)], _facts),
        (
            "Answered although unanswerable",
            [r for r in records if not r["answerable"] and not r["abstained"] and not r["error"]],
            lambda r: "did not abstain",
        ),
        (
            "Abstained although answerable",
            [r for r in records if r["answerable"] and r["abstained"]],
            lambda r: "abstained",
        ),
    ]
    out = []
    for heading, items, detail in sections:
        bullets = [
            f"- `{r['id']}` ({r['lang']}, {r['kind']}) {detail(r)}: {_short(r)}" for r in items
        ]
        out.append(f"### {heading} ({len(items)})\n\n" + ("\n".join(bullets) or "None."))
    return "\n\n".join(out)


def _missed_facts(record: dict[str, Any]) -> bool:
    return record["fact_recall"] is not None and record["facts_met"] < record["facts_total"]


def _rank(record: dict[str, Any]) -> str:
    return f"rank {record['rank']}" if record["rank"] else "not retrieved"


def _facts(record: dict[str, Any]) -> str:
    return f"{record['facts_met']}/{record['facts_total']} met"


def _short(record: dict[str, Any], limit: int = 90) -> str:
    text = " ".join(str(record["question"]).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_report(
    metrics: dict[str, Any], out_dir: Path, title: str = "Q&A evaluation"
) -> list[Path]:
    """Write ``report.md``, ``metrics.json`` and the charts into ``out_dir``; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / "report.md"
    report.write_text(render_report(metrics, title), encoding="utf-8")
    data = out_dir / "metrics.json"
    data.write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    charts = [
        plot_language_bars(metrics["by_lang"], out_dir / LANGUAGE_CHART),
        plot_latency(metrics["questions"], out_dir / LATENCY_CHART),
    ]
    return [report, data, *charts]


def _new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure on an Agg canvas (no pyplot state, safe in any process)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def plot_language_bars(by_lang: dict[str, dict[str, Any]], path: Path) -> Path:
    """Grouped bars, one group per metric of :data:`CHART_METRICS`, one bar per language."""
    figure = _new_figure(8.0, 4.0)
    axes = figure.add_subplot()
    languages = list(by_lang)
    width = 0.8 / max(len(languages), 1)
    for index, language in enumerate(languages):
        values = [100.0 * (by_lang[language].get(m) or 0.0) for m in CHART_METRICS]
        positions = [x + (index - (len(languages) - 1) / 2) * width for x in range(len(values))]
        axes.bar(positions, values, width, label=f"{language} (n={by_lang[language]['n']})")
    axes.set_xticks(range(len(CHART_METRICS)), list(CHART_METRICS.values()))
    axes.tick_params(axis="x", labelsize=8)
    axes.set_ylim(0, 115)
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel("%")
    axes.set_title("Metrics by question language (missing value drawn as 0)")
    if languages:
        axes.legend(loc="upper center", ncols=len(languages), fontsize=8)
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def plot_latency(records: Sequence[dict[str, Any]], path: Path) -> Path:
    """Histogram of per-question latency (answered questions only)."""
    from matplotlib.ticker import MaxNLocator

    latencies = [r["latency_ms"] for r in records if not r["error"] and r["latency_ms"] is not None]
    figure = _new_figure(6.0, 3.5)
    axes = figure.add_subplot()
    if latencies:
        axes.hist(latencies, bins=min(30, max(5, len(latencies) // 3)))
    else:
        axes.text(0.5, 0.5, "no answered questions", ha="center", va="center")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("latency (ms)")
    axes.set_ylabel("questions")
    axes.set_title("Answer latency")
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def format_difference(name: str, a: float | None, b: float | None) -> str:
    """``b - a``: rates in percentage points, with a mark saying whether B is better.

    >>> format_difference("hit@1", 0.5, 0.75), format_difference("latency_p50_ms", 10, 30)
    ('+25.0 pp ✓', '+20 ✗')
    """
    if a is None or b is None:
        return "–"
    delta = b - a
    if name in RATE_METRICS:
        text = f"{100.0 * delta:+.1f} pp"
    elif name.endswith("_ms") or name == "median_answer_chars":
        text = f"{delta:+.0f}"
    else:
        text = f"{delta:+.3f}"
    if abs(delta) < 1e-12 or name == "median_answer_chars":
        return text
    better = (delta > 0) == METRICS[name][1]
    return f"{text} {'✓' if better else '✗'}"


def compare_table(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Markdown table of every metric for overall results ``a`` and ``b`` and the difference."""
    rows = [["Metric", "A", "B", "B − A"], ["---", "---:", "---:", "---:"]]
    for name in metric_names([a, b]):
        rows.append(
            [
                METRICS[name][0],
                format_value(name, a.get(name)),
                format_value(name, b.get(name)),
                format_difference(name, a.get(name), b.get(name)),
            ]
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def changed_questions(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """One Markdown bullet per question whose hit@1 or abstention differs between runs."""
    before = {r["id"]: r for r in a["questions"]}
    lines = []
    for after in b["questions"]:
        old = before.get(after["id"])
        if old is None:
            continue
        changes = []
        if old["hit@1"] != after["hit@1"]:
            changes.append(f"hit@1 {_mark(old['hit@1'])} → {_mark(after['hit@1'])}")
        if old["abstained"] != after["abstained"]:
            changes.append(f"abstained {_yes(old['abstained'])} → {_yes(after['abstained'])}")
        if changes:
            label = "answerable" if after["answerable"] else "unanswerable"
            lines.append(
                f"- `{after['id']}` ({after['lang']}, {after['kind']}, {label}) "
                f"{'; '.join(changes)}: {_short(after)}"
            )
    return lines


def render_compare(
    a: dict[str, Any],
    b: dict[str, Any],
    name_a: str,
    name_b: str,
    title: str = "Comparison",
    by_language: bool = False,
) -> str:
    """The comparison as Markdown: modes, metric table (also one per question language when
    ``by_language``), questions that changed."""
    changed = changed_questions(a, b)
    languages = [lang for lang in a["by_lang"] if lang in b["by_lang"]] if by_language else []
    parts = [
        f"# {title}",
        f"- **A:** `{name_a}` — {describe_modes(a['modes'])}\n"
        f"- **B:** `{name_b}` — {describe_modes(b['modes'])}",
        compare_table(a["overall"], b["overall"]),
        *(
            f"### Questions in {lang} (n={b['by_lang'][lang]['n']})\n\n"
            + compare_table(a["by_lang"][lang], b["by_lang"][lang])
            for lang in languages
        ),
        f"## Questions whose hit@1 or abstention changed ({len(changed)})",
        "\n".join(changed) if changed else "None.",
    ]
    return "\n\n".join(parts) + "\n"


def _mark(value: bool | None) -> str:
    return "–" if value is None else ("hit" if value else "miss")


def _yes(value: bool) -> str:
    return "yes" if value else "no"
