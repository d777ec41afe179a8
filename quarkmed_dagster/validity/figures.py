"""One row per validity figure: what was measured, by which instrument, on which split."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

# kind: "judge" (a configured judge or panel), "pipeline" (our rubric score), "baseline"
# (a trivial predictor), "ceiling" (experts among themselves), "reference" (the experts'
# own score used as a comparison, e.g. HealthBench's physician criteria).
KINDS = ("judge", "pipeline", "baseline", "ceiling", "reference")
FIGURE_SCHEMA = {
    "task": pl.String,
    "dataset": pl.String,
    "split": pl.String,
    "instrument": pl.String,
    "kind": pl.String,
    "metric": pl.String,
    "value": pl.Float64,
    "n": pl.Int64,
    "note": pl.String,
}


@dataclass(frozen=True)
class Figure:
    task: str
    dataset: str
    split: str
    instrument: str
    kind: str
    metric: str
    value: float | None
    n: int
    note: str = ""


def figures_frame(figures: list[Figure]) -> pl.DataFrame:
    return pl.DataFrame([asdict(f) for f in figures], schema=FIGURE_SCHEMA)


def skipped(task: str, dataset: str, reason: str) -> Figure:
    """A figure that could not be computed, with the reason (never a made-up value)."""
    return Figure(task, dataset, "-", "-", "reference", "skipped", None, 0, f"skipped: {reason}")
