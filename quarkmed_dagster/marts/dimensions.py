"""The per-dimension leaderboard mart: model x category x dimension with the scoring stage's
seeded bootstrap interval (``scoring.bootstrap``, as the leaderboard uses); the three
dimensions of a model and category share their resamples."""

from __future__ import annotations

import polars as pl

from quarkmed_dagster.scoring.bootstrap import bootstrap_intervals
from quarkmed_dagster.scoring.frames import group_summary, with_overall_category
from quarkmed_dagster.warehouse import Warehouse, load_sql

DIMENSIONS = ("medical_accuracy", "key_point_coverage", "risk_interception")
VERSION_COLUMNS = (
    "query_set_version",
    "rubric_set_version",
    "corpus_version",
    "candidate_prompt_version",
    "judge_prompt_version",
)
TABLE = "leaderboard_dimensions"
GROUPS = ["candidate_model", "is_baseline", "category"]


def dimension_frame(scores: pl.DataFrame, seed: int = 0) -> pl.DataFrame:
    """``scores``: one row per response as ``query_scores_versioned`` has it (query_id,
    category, candidate_model, is_baseline, coverage, the three dimensions, the versions).
    A response with no judged item of a dimension's kind is a NULL there: left out of that
    dimension's mean and counted in ``n_queries``, not in ``n_scored``."""
    if scores.is_empty():
        return pl.DataFrame()
    rows = []
    for keys, grp in with_overall_category(scores).group_by(GROUPS):
        matrix = grp.select(DIMENSIONS).cast(pl.Float64).fill_null(float("nan")).to_numpy()
        intervals = bootstrap_intervals(matrix, seed=seed)
        for dimension, interval in zip(DIMENSIONS, intervals, strict=True):
            rows.append(
                {
                    **dict(zip(GROUPS, keys, strict=True)),
                    "dimension": dimension,
                    **group_summary(grp, dimension, interval, VERSION_COLUMNS),
                }
            )
    out = pl.DataFrame(rows, infer_schema_length=None)
    return out.sort("category", "dimension", "score", descending=[False, False, True])


def write_leaderboard_dimensions(wh: Warehouse, seed: int = 0) -> int:
    """Replace the mart's rows with those of the current scores; returns the row count."""
    frame = dimension_frame(wh.read(load_sql("select_dimension_scores")), seed)
    return wh.replace_selected(TABLE, frame, f'DELETE FROM "{TABLE}"')
