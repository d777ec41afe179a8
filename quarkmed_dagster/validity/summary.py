"""Each instrument's figure beside the best trivial baseline of the same task and metric."""

from __future__ import annotations

import polars as pl

KEYS = ["task", "dataset", "metric"]


def with_baseline_comparison(figures: pl.DataFrame) -> pl.DataFrame:
    """Adds ``best_baseline`` (name), ``best_baseline_value`` and ``beats_baselines``
    (True / False for judge and pipeline rows with a value; None otherwise)."""
    baselines = (
        figures.filter((pl.col("kind") == "baseline") & pl.col("value").is_not_null())
        .sort("value", descending=True)
        .group_by(KEYS, maintain_order=True)
        .agg(
            pl.first("instrument").alias("best_baseline"),
            pl.first("value").alias("best_baseline_value"),
        )
    )
    joined = figures.join(baselines, on=KEYS, how="left")
    judged = pl.col("kind").is_in(["judge", "pipeline"]) & pl.col("value").is_not_null()
    return joined.with_columns(
        pl.when(judged & pl.col("best_baseline_value").is_not_null())
        .then(pl.col("value") > pl.col("best_baseline_value"))
        .otherwise(None)
        .alias("beats_baselines")
    )
