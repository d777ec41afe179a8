"""Diagnosis: attribute a model's (or checkpoint's) weaknesses to category, dimension,
rubric tag and rubric item, with example responses.

- dimension: mean normalized reward, gap to target, failure rate = share of responses below
  the frozen reference median (z < 0), examples = its lowest-scoring responses;
- category: the mean of its dimensions' figures, examples from its weakest dimension;
- tag / item: failure = 1 - level for positive tiers and the severity for Pitfall (failed
  judgments are missing and ignored), examples = the responses failing most.
"""

from __future__ import annotations

import json

import polars as pl

from quarkmed_dagster.rewards.matrix import AlignmentMatrix

COLUMNS = [
    "candidate_model", "level", "key", "category", "detail", "n", "mean_normalized",
    "gap_to_target", "failure_rate", "examples", "rank",
]  # fmt: skip
SCHEMA = {
    "candidate_model": pl.Utf8, "level": pl.Utf8, "key": pl.Utf8, "category": pl.Utf8,
    "detail": pl.Utf8, "n": pl.Int64, "mean_normalized": pl.Float64,
    "gap_to_target": pl.Float64, "failure_rate": pl.Float64, "examples": pl.Utf8,
    "rank": pl.Int64,
}  # fmt: skip


def _examples(ids: list[str], limit: int = 3) -> str:
    return json.dumps(list(dict.fromkeys(ids))[:limit])


def dimension_diagnosis(matrix: AlignmentMatrix, vectors: pl.DataFrame) -> pl.DataFrame:
    targets = pl.DataFrame(
        {"dimension": list(matrix.names), "target": [d.target for d in matrix.dimensions]}
    )
    present = vectors.filter(pl.col("normalized_value").is_not_null()).join(targets, on="dimension")
    grouped = (
        present.sort("normalized_value")
        .group_by("candidate_model", "dimension", "category")
        .agg(
            pl.len().alias("n"),
            pl.col("normalized_value").mean().alias("mean_normalized"),
            (pl.col("normalized_value") < 0).mean().alias("failure_rate"),
            pl.col("target").first(),
            pl.col("response_id").head(3).alias("ids"),
        )
        .with_columns(
            (pl.col("target") - pl.col("mean_normalized"))
            .clip(lower_bound=0)
            .alias("gap_to_target")
        )
    )
    return grouped.select(
        "candidate_model",
        pl.lit("dimension").alias("level"),
        pl.col("dimension").alias("key"),
        "category",
        pl.lit(None, pl.Utf8).alias("detail"),
        "n",
        "mean_normalized",
        "gap_to_target",
        "failure_rate",
        pl.col("ids")
        .map_elements(lambda s: _examples(list(s)), return_dtype=pl.Utf8)
        .alias("examples"),
    )


def category_diagnosis(dimensions: pl.DataFrame) -> pl.DataFrame:
    worst = dimensions.sort("gap_to_target", descending=True)
    return (
        worst.group_by("candidate_model", "category")
        .agg(
            pl.lit("category").alias("level"),
            pl.col("category").first().alias("key"),
            pl.col("key").first().alias("detail"),
            pl.col("n").sum(),
            pl.col("mean_normalized").mean(),
            pl.col("gap_to_target").mean(),
            pl.col("failure_rate").mean(),
            pl.col("examples").first(),
        )
        .select(COLUMNS[:-1])
    )


def verdict_diagnosis(verdicts: pl.DataFrame, by: str, level: str) -> pl.DataFrame:
    """Failure rates per tag or per item (``by`` = "tag" or "item_id")."""
    failures = verdicts.filter(pl.col("level").is_not_null()).with_columns(
        pl.when(pl.col("tier") == "Pitfall")
        .then(pl.col("level"))
        .otherwise(1.0 - pl.col("level"))
        .alias("failure")
    )
    detail = (
        pl.col("title").first() if by == "item_id" else pl.col("tier").unique().sort().str.join(",")
    )
    return (
        failures.sort("failure", descending=True)
        .group_by("candidate_model", by)
        .agg(
            pl.len().alias("n"),
            pl.col("failure").mean().alias("failure_rate"),
            detail.alias("detail"),
            pl.col("response_id").filter(pl.col("failure") > 0).head(3).alias("ids"),
        )
        .select(
            "candidate_model",
            pl.lit(level).alias("level"),
            pl.col(by).alias("key"),
            pl.lit(None, pl.Utf8).alias("category"),
            "detail",
            "n",
            pl.lit(None, pl.Float64).alias("mean_normalized"),
            pl.lit(None, pl.Float64).alias("gap_to_target"),
            "failure_rate",
            pl.col("ids")
            .map_elements(lambda s: _examples(list(s)), return_dtype=pl.Utf8)
            .alias("examples"),
        )
    )


def diagnose(
    matrix: AlignmentMatrix, vectors: pl.DataFrame, verdicts: pl.DataFrame, top_items: int = 20
) -> pl.DataFrame:
    """The diagnosis mart: one row per (model, level, key), ranked worst first."""
    dims = dimension_diagnosis(matrix, vectors)
    parts = [dims, category_diagnosis(dims)]
    if not verdicts.is_empty():
        parts += [
            verdict_diagnosis(verdicts, "tag", "tag"),
            verdict_diagnosis(verdicts, "item_id", "item"),
        ]
    frames = [
        p.select(COLUMNS[:-1]).cast({k: v for k, v in SCHEMA.items() if k != "rank"}) for p in parts
    ]
    out = pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMA)
    # Worst first; ties broken by key so the ranking is deterministic.
    out = (
        out.with_columns(pl.coalesce("gap_to_target", "failure_rate").alias("_order"))
        .sort(
            ["candidate_model", "level", "_order", "key"],
            descending=[False, False, True, False],
            nulls_last=True,
        )
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
            .over("candidate_model", "level")
            .alias("rank")
        )
        .drop("_order")
    )
    return out.filter((pl.col("level") != "item") | (pl.col("rank") <= top_items))
