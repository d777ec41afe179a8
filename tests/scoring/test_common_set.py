"""The leaderboard keeps each model's scored count and compares models on their common query
set (issue 18 item 4): a model scored on fewer queries is not silently ranked on its own
subset, in the stored table, the CLI text, the mart and the report."""

from __future__ import annotations

import pytest

from quarkmed_dagster.leaderboard import leaderboard_text, rescore_comparison_text
from quarkmed_dagster.marts.views import create_marts
from quarkmed_dagster.report.build import build_report
from quarkmed_dagster.scoring.frames import score_warehouse, store_scores
from quarkmed_dagster.warehouse import load_sql
from tests.scoring.test_rescore import DEFAULT_B, seed
from tests.scoring.test_store_scores import _add_second_query


def _board(warehouse, table: str = "leaderboard") -> dict[str, dict]:
    rows = warehouse.read(f"SELECT * FROM {table} WHERE category = 'all'")
    return {r["candidate_model"]: r for r in rows.iter_rows(named=True)}


def test_leaderboard_counts_scored_responses_and_compares_on_the_common_set(warehouse):
    seed(warehouse)  # q1: model-a 1.0, model-b 2/3
    _add_second_query(warehouse)  # q2: model-a only, 0.5
    store_scores(warehouse, *score_warehouse(warehouse))
    board = _board(warehouse)
    a, b = board["model-a"], board["model-b"]
    assert (a["n_scored"], b["n_scored"]) == (2, 1)
    assert a["score"] == pytest.approx(0.75) and b["score"] == pytest.approx(DEFAULT_B)
    # common set = {q1}, the only query both have a score on
    assert a["n_common"] == b["n_common"] == 1
    assert a["common_score"] == pytest.approx(1.0)
    assert b["common_score"] == pytest.approx(DEFAULT_B)
    assert a["common_ci_low"] <= a["common_score"] <= a["common_ci_high"]

    text = leaderboard_text(warehouse)
    assert "WARNING: the models are scored on different queries" in text
    assert "the 1 queries every model has a score on" in text
    line_a = next(line for line in text.splitlines() if " model-a " in line).split()
    assert line_a[2] == "0.750" and line_a[5] == "2" and line_a[6] == "1.000"

    create_marts(warehouse)
    versioned = _board(warehouse, "leaderboard_versioned")["model-b"]
    assert (versioned["n_scored"], versioned["n_common"]) == (1, 1)
    html = build_report(warehouse)
    assert "n_common" in html and "WARNING: the models are scored on different" in html


def test_same_query_set_says_so(warehouse):
    seed(warehouse)
    store_scores(warehouse, *score_warehouse(warehouse))
    board = _board(warehouse)
    assert all(r["common_score"] == pytest.approx(r["score"]) for r in board.values())
    assert "every model is scored on the same 1 queries" in leaderboard_text(warehouse)


def test_rescore_comparison_warns_about_different_query_sets(warehouse):
    seed(warehouse)
    _add_second_query(warehouse)
    _, board = score_warehouse(warehouse)
    text = rescore_comparison_text(warehouse.read(load_sql("select_leaderboard_overall")),
                                   board, "default")  # fmt: skip
    assert "WARNING: the models are scored on different queries" in text
