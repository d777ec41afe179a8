"""The HTML report of a real main-job run (the session's `main_job` fixture), checked without a
browser (every section has data: the leaderboard with an interval per model and its versions,
per-category and per-dimension breakdowns, distributions, tier mix, judge agreement, failures
counted as the warehouse counts them, cost; every model labelled baseline) and in a real
headless Chromium (every plot drawn)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from quarkmed_dagster.baselines.candidates import EXPECTED_ORDER
from quarkmed_dagster.prompts import load_prompt
from quarkmed_dagster.report.build import report_outline
from tests.report.chromium import CHROMIUM, dump_dom

PLOTTED = (
    "Leaderboard (95% interval)",
    "Per-category breakdown",
    "Score distributions",
    "Per-dimension breakdown",
    "Rubric tier mix",
    "Physician coverage of our rubrics (validity figure)",
    "Judge agreement and expert concordance",
    "Cost and tokens",
)


def _section(html: str, title: str) -> str:
    part = html.split(f"<h2>{title}</h2>", 1)[1]
    return part.split("<h2>", 1)[0]


def test_report_on_a_real_run(main_job, tmp_path):
    report = main_job.home / "reports" / "report.html"
    html = report.read_text(encoding="utf-8")
    outline = {r["section"]: r for r in report_outline(html).iter_rows(named=True)}
    for title in PLOTTED:
        assert outline[title]["plots"] >= 1 and not outline[title]["empty"], title

    board = _section(html, "Leaderboard (95% interval)")
    assert board.count('class="interval"') == len(EXPECTED_ORDER)  # one interval per model
    for name in EXPECTED_ORDER:
        assert f"baseline/{name} (baseline)" in board
    for version in ("query_set_version", "rubric_set_version", "corpus_version"):
        assert version in board
    judge_version = f"{load_prompt('judge_response').version}.batched"  # the template's hash
    assert judge_version in board and "candidate_answer.v1" in board
    healthbench = _section(html, "HealthBench-compatible score (physician criteria)")
    assert healthbench.count("<tr>") == 1 + len(EXPECTED_ORDER)  # header + one row per model
    for name in EXPECTED_ORDER:
        assert f"baseline/{name} (baseline)" in healthbench
    assert "baseline/semantic-judge (baseline)" in healthbench
    dims = _section(html, "Per-dimension breakdown")
    assert dims.count('class="interval"') == 3 * len(EXPECTED_ORDER)
    assert "K-QA physician-labelled statement checks" in html and "Cohen's kappa" in html

    with duckdb.connect(str(main_job.warehouse), read_only=True) as con:
        calls, failed = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'failed') FROM llm_calls"
        ).fetchone()
        verdicts, missing = con.execute(
            "SELECT count(*), count(*) - count(level) FROM item_verdicts"
        ).fetchone()
        panel = con.execute(
            "SELECT n_judges FROM judge_panel_stats WHERE scope = 'all' "
            "ORDER BY created_at DESC LIMIT 1"
        ).fetchone()[0]
    failures = _section(html, "Failed calls and missing values")
    assert f"failed after their bounded retries: {failed} of {calls}" in failures
    assert f"scores): {missing} of {verdicts}</li>" in failures
    agreement = _section(html, "Judge agreement and expert concordance")
    assert "Inter-judge reliability of the latest panel run" in agreement
    assert f"<td>{panel}</td>" in agreement
    text = re.sub(r"<[^>]+>", "", html)  # what a reader sees
    names = list(re.finditer(r"baseline/[a-z]+(?:-[a-z]+)*", text))
    unlabelled = [m.group() for m in names if not text.startswith(" (baseline)", m.end())]
    assert names and not unlabelled, unlabelled  # every baseline model is labelled baseline

    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed: the browser-free checks above ran")
    dom = dump_dom(report, tmp_path / "profile")
    drawn = re.search(r'data-plots-drawn="(\d+)"', dom)
    assert drawn is not None, "the load-time script did not run"
    assert int(drawn.group(1)) == dom.count('<svg class="plot"') == html.count('<svg class="plot"')
