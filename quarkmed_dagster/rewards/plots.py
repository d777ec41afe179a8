"""Reward plots (inline SVG) from a ``reward_weight_trajectory`` frame.

One piece of code draws them for the Dagster asset metadata and for the HTML report:
per source (the simulated checkpoint sequence, or candidate models as checkpoints) one
chart of the dimensions that move most and one chart per alignment category, so every
dimension's weight trajectory is drawn; for the simulation also the redundancy factor.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from quarkmed_dagster.report.svg import line_chart
from quarkmed_dagster.rewards.simulation import SimulationSpec

TOP_MOVERS = 8


def _same(label: str) -> str:
    return label


def movers(frame: pl.DataFrame, value: str = "weight", k: int = TOP_MOVERS) -> list[str]:
    """The ``k`` dimensions whose ``value`` spans the widest range (ties by name)."""
    return (
        frame.group_by("dimension")
        .agg((pl.col(value).max() - pl.col(value).min()).alias("spread"))
        .sort(["spread", "dimension"], descending=[True, False])
        .head(k)["dimension"]
        .to_list()
    )


def trajectory_chart(
    frame: pl.DataFrame,
    title: str,
    dims: list[str],
    value: str = "weight",
    step_label: Callable[[str], str] = _same,
) -> str:
    """Line chart of ``value`` per step for ``dims`` (x labels from ``step_label``)."""
    steps = frame.select("step", "step_label").unique().sort("step")
    series = {
        dim: frame.filter(pl.col("dimension") == dim).sort("step")[value].to_list() for dim in dims
    }
    labels = [step_label(str(v)) for v in steps["step_label"].to_list()]
    return line_chart(series, labels, title, y_label=value)


def trajectory_plots(
    frame: pl.DataFrame, name: str, title: str, step_label: Callable[[str], str] = _same
) -> dict[str, str]:
    """``name``: the dimensions that move most; ``name_<category>``: all of a category's."""
    plots = {
        name: trajectory_chart(
            frame, f"{title}: the {TOP_MOVERS} that move most", movers(frame), "weight", step_label
        )
    }
    by_category = frame.select("category", "dimension").unique().sort("category", "dimension")
    for (category,), part in by_category.group_by(["category"], maintain_order=True):
        plots[f"{name}_{category}"] = trajectory_chart(
            frame, f"{title}: {category}", part["dimension"].to_list(), "weight", step_label
        )
    return plots


def simulation_plots(frame: pl.DataFrame, spec: SimulationSpec) -> dict[str, str]:
    """Weights of the simulated checkpoints (every dimension) and the redundancy factor."""
    plots = trajectory_plots(
        frame,
        "weight_trajectory_simulated",
        f"Simulated: {spec.weakening} weakens, {spec.redundant} turns redundant",
    )
    plots["redundancy_simulated"] = trajectory_chart(
        frame,
        f"Simulated redundancy: {spec.redundant} tracks {spec.twin}",
        [spec.redundant, spec.twin, spec.weakening, "highlight_insight"],
        value="redundancy",
    )
    return plots


def first_last(frame: pl.DataFrame, dims: list[str], value: str = "weight") -> dict[str, tuple]:
    """dimension -> (value at the first step, value at the last step)."""
    out = {}
    for dim in dims:
        values = frame.filter(pl.col("dimension") == dim).sort("step")[value].to_list()
        if values:
            out[dim] = (values[0], values[-1])
    return out
