"""The report's charts, on a real DuckDB warehouse: one colour per model in every chart
(leaderboard, categories, distributions, cost), rounded axis labels, one cumulative
distribution line per model on shared axes, and a category with one query shown as such
(n=1, no interval) rather than as a zero-width interval."""

from __future__ import annotations

import re

import pytest

from quarkmed_dagster.report.build import build_report
from quarkmed_dagster.report.scales import ModelColours, nice_ticks, tick_text
from quarkmed_dagster.report.svg import ecdf_chart
from tests.warehouse_rows import insert_rows

MODELS = ("acme/a", "acme/b", "baseline/reference-candidate")


def _plot(html: str, title: str) -> str:
    start = html.index(f'aria-label="{title}"')
    return html[start : html.index("</svg>", start)]


def _colours(svg: str, mark: str) -> list[str]:
    return re.findall(rf'class="{mark}"[^>]*?(?:fill|stroke)="(#[0-9a-f]{{6}})"', svg)


def _seed(wh) -> None:
    board = []
    for i, model in enumerate(MODELS):
        base = model.startswith("baseline/")
        for category, n, lo, hi in (("all", 20, 0.2, 0.6), ("Clinical Care", 19, 0.2, 0.6),
                                    ("Wellness Health", 1, 0.308, 0.308)):  # fmt: skip
            board.append({"candidate_model": model, "is_baseline": base, "category": category,
                          "n_queries": n, "n_scored": n, "score": 0.3 + i / 10, "ci_low": lo,
                          "ci_high": hi, "coverage": 1.0})  # fmt: skip
    insert_rows(wh, "leaderboard", board)
    insert_rows(wh, "candidate_responses", [
        {"response_id": f"{m}-{q}", "query_id": f"q{q}", "candidate_model": m,
         "is_baseline": m.startswith("baseline/"), "response_text": "x", "status": "ok"}
        for m in MODELS for q in range(6)
    ])  # fmt: skip
    insert_rows(wh, "query_scores", [
        {"response_id": f"{m}-{q}", "query_id": f"q{q}", "candidate_model": m,
         "is_baseline": m.startswith("baseline/"), "score": (q + i) / 10, "coverage": 1.0,
         "flagged_low_coverage": False, "truncated": False}
        for i, m in enumerate(MODELS) for q in range(6)
    ])  # fmt: skip
    insert_rows(wh, "llm_calls", [
        {"call_id": f"c{i}", "cache_key": f"k{i}", "run_label": "candidate_responses",
         "role": "candidate", "model": m, "is_baseline": m.startswith("baseline/"),
         "tokens_in": 100, "tokens_out": 50, "cost_usd": 0.0, "status": "ok"}
        for i, m in enumerate(reversed(MODELS))  # another order than the leaderboard's
    ] + [{"call_id": "j", "cache_key": "kj", "run_label": "judge_panel", "role": "judge",
          "model": "judge/x", "is_baseline": False, "tokens_in": 10, "tokens_out": 5,
          "cost_usd": 0.0, "status": "ok"}])  # fmt: skip


def test_one_colour_per_model_in_every_chart(warehouse):
    _seed(warehouse)
    html = build_report(warehouse)
    board = _plot(html, "Overall score with 95% interval")
    ranked = re.findall(r'<text x="4" y="[\d.]+">([^<]+) \(n=20\)</text>', board)
    colour = dict(zip(ranked, _colours(board, "bar"), strict=True))
    assert len(set(colour.values())) == len(MODELS)  # distinct
    cats = _plot(html, "Score by category and model (95% interval)")
    labels = re.findall(r'<text x="4" y="[\d.]+">[^·<]+ · ([^<]+) \(n=\d+\)</text>', cats)
    assert dict(zip(labels, _colours(cats, "bar"), strict=True)) == colour
    dist = _plot(html, "Per-query score by model (cumulative share of responses)")
    legend = re.findall(r'stroke="(#[0-9a-f]{6})" stroke-width="3"/><text[^>]*>([^<]+) \(n=6', dist)
    assert {name: c for c, name in legend} == colour
    assert dist.count('class="ecdf"') == len(MODELS)  # one line per model, not stacked bars
    cost = _plot(html, "Tokens (in + out) by model and stage")
    rows = re.findall(r'<text x="4" y="[\d.]+">([^<]+) · candidate_responses</text>', cost)
    bars = _colours(cost, "bar")
    assert {m: bars[i] for i, m in enumerate(rows)} == colour
    assert bars[-1] not in colour.values()  # the judge: a colour of its own


def test_a_category_with_one_query_shows_n1_and_no_interval(warehouse):
    _seed(warehouse)
    html = build_report(warehouse)
    cats = _plot(html, "Score by category and model (95% interval)")
    assert cats.count("Wellness Health · ") == cats.count("(n=1)") == len(MODELS)
    assert cats.count('class="interval"') == len(MODELS)  # Clinical Care's only
    table = html[html.index("<h2>Per-category breakdown") :].split("<h2>", 2)[1]
    one = [r for r in table.split("<tr>") if r.startswith("<td>Wellness Health")]
    assert len(one) == len(MODELS) and all("0.308" not in r for r in one)


@pytest.mark.parametrize(
    ("lo", "hi"), [(-2.20518, 1.31), (0.0, 1.0), (0.0, 0.00327), (0.0, 233407.0), (0.308, 0.308)]
)
def test_axis_labels_are_rounded(lo, hi):
    ticks = nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and 3 <= len(ticks) <= 8
    texts = [tick_text(t, ticks) for t in ticks]
    assert all(len(t.lstrip("-").replace(".", "")) <= 6 for t in texts), texts
    svg = ecdf_chart({"m": [lo, hi]}, "t", lo=lo, hi=hi)
    axis = re.findall(r'font-size="10">([^<]+)</text>', svg)
    assert set(texts) <= set(axis) and "2.20518" not in svg


def test_colours_are_stable_per_model_and_label():
    colours = ModelColours(["b", "a"], ["judge"])
    assert colours.of("a") == colours.of("a (baseline)") != colours.of("b")
    assert colours.of("new") not in {colours.of(m) for m in ("a", "b", "judge")}
