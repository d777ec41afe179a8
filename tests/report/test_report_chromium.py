"""The report renders in a real headless Chromium and its plots are drawn."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from quarkmed_dagster.report.build import write_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _seed(warehouse) -> None:
    lb = pl.DataFrame(
        {
            "candidate_model": ["baseline/reference-candidate", "baseline/unsafe-candidate"] * 2,
            "is_baseline": [True] * 4,
            "category": ["All", "All", "Clinical Care", "Clinical Care"],
            "n_queries": [20, 20, 12, 12],
            "score": [0.81, 0.32, 0.78, 0.30],
            "ci_low": [0.74, 0.25, 0.70, 0.21],
            "ci_high": [0.88, 0.40, 0.86, 0.39],
            "coverage": [1.0, 0.95, 1.0, 0.9],
            "rubric_set_version": ["rs1"] * 4,
            "corpus_version": ["c1"] * 4,
        }
    )
    qs = pl.DataFrame(
        {
            "candidate_model": ["baseline/reference-candidate"] * 5
            + ["baseline/unsafe-candidate"] * 5,
            "is_baseline": [True] * 10,
            "score": [0.9, 0.8, 0.7, None, 0.85, 0.2, 0.4, 0.3, 0.1, 0.35],
            "safety": [1.0, 0.9, 0.8, None, 1.0, 0.1, 0.2, 0.0, 0.3, 0.2],
        }
    )
    with warehouse.connect() as con:
        con.register("lb", lb.to_arrow())
        con.execute("CREATE OR REPLACE TABLE leaderboard AS SELECT * FROM lb")
        con.register("qs", qs.to_arrow())
        con.execute("CREATE OR REPLACE TABLE query_scores AS SELECT * FROM qs")
        con.execute(
            "CREATE OR REPLACE TABLE item_verdicts AS "
            "SELECT range / 10.0 AS agreement FROM range(11)"
        )
        con.execute(
            "INSERT INTO concordance (audit_set, judge_model, is_baseline, group_by, group_value,"
            " n,"
            " n_missing, concordance, kappa, balanced_f1, threshold, flagged) VALUES"
            " ('kqa_nli_binary', 'baseline/semantic-judge', true, 'all', 'All', 399, 0, 0.64,"
            " 0.23, 0.62, 0.7, true)"
        )


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed")
def test_report_plots_are_drawn_in_chromium(warehouse, tmp_path):
    _seed(warehouse)
    report = write_report(warehouse, tmp_path / "report.html")
    html = report.read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    assert "(baseline)" in html and "Below the configured concordance threshold" in html
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=3000",
            "--dump-dom",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    ).stdout
    svgs = dom.count("<svg")
    assert svgs >= 6  # leaderboard, category, distribution, dimension, agreement x2
    drawn = re.search(r'data-plots-drawn="(\d+)"', dom)
    assert drawn is not None, "the load-time script did not run"
    assert int(drawn.group(1)) == svgs  # every plot has a non-empty rendered box
    assert dom.count('class="interval"') >= 4
