"""The leaderboard asset check fails on an inconsistent leaderboard and passes on a sound one."""

import polars as pl

from assets.scoring import leaderboard_consistent
from quarkmed_dagster.resources import WarehouseResource


def _board(score: float, ci: tuple[float, float], model: str = "m") -> pl.DataFrame:
    return pl.DataFrame({"candidate_model": [model], "is_baseline": [False], "category": ["all"],
                         "n_queries": [1], "score": [score], "ci_low": [ci[0]],
                         "ci_high": [ci[1]], "coverage": [1.0]})  # fmt: skip


def _scores(model: str = "m") -> pl.DataFrame:
    return pl.DataFrame({"response_id": ["r"], "query_id": ["q"], "candidate_model": [model],
                         "is_baseline": [False], "score": [0.5], "coverage": [1.0],
                         "flagged_low_coverage": [False], "truncated": [False]})  # fmt: skip


def _check(warehouse, board: pl.DataFrame, scores: pl.DataFrame):  # type: ignore[no-untyped-def]
    warehouse.upsert_rows("query_scores", scores, ["response_id"])
    warehouse.replace_rows("leaderboard", board, [], [])
    return leaderboard_consistent(WarehouseResource(path=str(warehouse.path)))


def test_sound_leaderboard_passes(warehouse):
    assert _check(warehouse, _board(0.5, (0.4, 0.6)), _scores()).passed


def test_score_outside_its_interval_fails(warehouse):
    result = _check(warehouse, _board(0.9, (0.4, 0.6)), _scores())
    assert not result.passed and result.metadata["problems"].value == 1


def test_scored_model_missing_from_the_leaderboard_fails(warehouse):
    result = _check(warehouse, _board(0.5, (0.4, 0.6), "other"), _scores())
    assert not result.passed and result.metadata["problems"].value == 2
