"""Which current rubrics a scheduled refresh regenerates, in bounded batches.

A rubric is stale when it was made with another configuration than the current one (prompt
versions, models, consensus parameters: its ``config_hash`` differs) or when its content is
older than ``max_age_days`` (a carried or reverified rubric is as old as the one it was
carried from: reverification never makes a rubric younger).
Outdated configurations come first (they no longer match what the benchmark says it uses);
aged rubrics are re-asked with fresh model calls. Rubrics in review wait for clinicians and
are only refreshed for a new configuration. One batch holds one reason, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import polars as pl

from quarkmed_dagster.rubrics.config import ConsensusParams, RubricConfig, RubricModels
from quarkmed_dagster.rubrics.incremental import USABLE
from quarkmed_dagster.rubrics.prompting import prompt_versions
from quarkmed_dagster.warehouse import Warehouse, load_sql

Reason = Literal["outdated_config", "aged"]
REASONS: tuple[Reason, ...] = ("outdated_config", "aged")


@dataclass(frozen=True)
class RefreshBatch:
    reason: Reason | None
    query_ids: list[str]
    stale: dict[str, int]  # reason -> stale rubrics before this batch

    @property
    def remaining(self) -> int:
        return sum(self.stale.values()) - len(self.query_ids)


def stale_rubrics(
    sets: pl.DataFrame, config_hash: str, now: datetime, max_age_days: float
) -> pl.DataFrame:
    """``sets`` = rows of ``select_current_rubric_set_ages``; adds ``reason`` (NULL = fresh)."""
    cutoff = now - timedelta(days=max_age_days)
    usable = pl.col("status").is_in(USABLE)
    reason = (
        pl.when(pl.col("config_hash") != config_hash)
        .then(pl.lit("outdated_config"))
        .when(usable & (pl.col("generated_at") < cutoff))
        .then(pl.lit("aged"))
        .otherwise(None)
    )
    return sets.with_columns(reason=reason).filter(pl.col("reason").is_not_null())


def next_batch(stale: pl.DataFrame, batch_size: int) -> RefreshBatch:
    """The oldest ``batch_size`` rubrics of the first reason that has any."""
    counts = {r: stale.filter(pl.col("reason") == r).height for r in REASONS}
    for reason in REASONS:
        if counts[reason]:
            batch = stale.filter(pl.col("reason") == reason).sort(["generated_at", "query_id"])
            ids = batch["query_id"].head(max(0, batch_size)).to_list()
            return RefreshBatch(reason, ids, {r: n for r, n in counts.items() if n})
    return RefreshBatch(None, [], {})


def config_hash_of(models: RubricModels, params: ConsensusParams) -> str:
    """The configuration hash a rubric run with these models and parameters would store."""
    return RubricConfig(models=models, params=params).config_hash(prompt_versions())


def refresh_batch(
    warehouse: Warehouse, config_hash: str, now: datetime, max_age_days: float, batch_size: int
) -> RefreshBatch:
    """The next bounded refresh batch over the warehouse's current rubric sets."""
    sets = warehouse.read(load_sql("select_current_rubric_set_ages"))
    return next_batch(stale_rubrics(sets, config_hash, now, max_age_days), batch_size)
