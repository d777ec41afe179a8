"""Reward plots (inline SVG) for the Dagster asset metadata and the HTML report alike.

Weights, from a ``reward_weight_trajectory`` frame: per source one chart of the dimensions
that move most and one chart per alignment category, so every dimension is drawn.
Sequences — the simulated checkpoints and each declared policy's checkpoints, in their
declared order — are lines (for the simulation also the redundancy factor); candidate models
compared with each other have no order and are points only.

Statistics: the frozen reference location and scale per dimension
(``reward_normalization_stats``), the spread of raw values per dimension
(``reward_vectors``) and the aggregate reward per model (``reward_scores``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from quarkmed_dagster.report.scales import ModelColours
from quarkmed_dagster.report.svg import bar_chart, ecdf_chart, line_chart
from quarkmed_dagster.rewards.simulation import SimulationSpec

TOP_MOVERS = 8
MODELS_TITLE = "Weights per candidate model (compared, not a sequence)"
CHECKPOINTS_TITLE = "Weights over the checkpoints of"


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
    ordered: bool = True,
) -> str:
    """``value`` per step for ``dims`` (x labels from ``step_label``): lines when the steps
    are a sequence, points only when they are not (``ordered=False``)."""
    steps = frame.select("step", "step_label").unique().sort("step")
    series = {
        dim: frame.filter(pl.col("dimension") == dim).sort("step")[value].to_list() for dim in dims
    }
    labels = [step_label(str(v)) for v in steps["step_label"].to_list()]
    return line_chart(series, labels, title, y_label=value, connect=ordered)


def trajectory_plots(
    frame: pl.DataFrame,
    name: str,
    title: str,
    step_label: Callable[[str], str] = _same,
    ordered: bool = True,
) -> dict[str, str]:
    """``name``: the dimensions that move (differ) most; ``name_<category>``: all of a
    category's dimensions."""
    most = f"the {TOP_MOVERS} that {'move' if ordered else 'differ'} most"
    plots = {
        name: trajectory_chart(
            frame, f"{title}: {most}", movers(frame), "weight", step_label, ordered
        )
    }
    by_category = frame.select("category", "dimension").unique().sort("category", "dimension")
    for (category,), part in by_category.group_by(["category"], maintain_order=True):
        plots[f"{name}_{category}"] = trajectory_chart(
            frame,
            f"{title}: {category}",
            part["dimension"].to_list(),
            "weight",
            step_label,
            ordered,
        )
    return plots


def model_plots(frame: pl.DataFrame, step_label: Callable[[str], str] = _same) -> dict[str, str]:
    """Candidate models side by side (``source = 'models'``): points, no lines implying an
    order between unrelated models."""
    return trajectory_plots(frame, "weights_by_model", MODELS_TITLE, step_label, ordered=False)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "policy"


def checkpoint_plots(
    frame: pl.DataFrame, step_label: Callable[[str], str] = _same
) -> dict[str, str]:
    """Per declared policy (``source = 'checkpoints'``): weights over its checkpoints in the
    declared order (``step``), as lines."""
    plots: dict[str, str] = {}
    for (policy,), part in frame.group_by(["policy"], maintain_order=True):
        name = f"weight_trajectory_checkpoints_{_slug(str(policy))}"
        while name in plots:  # two policy names with the same slug
            name += "_"
        plots |= trajectory_plots(part, name, f"{CHECKPOINTS_TITLE} {policy}", step_label)
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


def reference_stats_chart(stats: pl.DataFrame) -> str:
    """Per dimension of ``reward_normalization_stats`` rows: the frozen location (reference
    median) with location ± scale, on the raw [0, 1] scale."""
    rows = [
        (f"{r['dimension']} (no reference data)", None, None, None)
        if r["location"] is None
        else (
            f"{r['dimension']}{' (degenerate)' if r['degenerate'] else ''}",
            r["location"],
            r["location"] - r["scale"],
            r["location"] + r["scale"],
        )
        for r in stats.sort("dimension").iter_rows(named=True)
    ]
    version = stats["stats_version"][0] if stats.height else "?"
    return bar_chart(rows, f"Frozen reference {version}: median ± robust scale (raw)", xmax=1.0)


def dimension_spread_chart(vectors: pl.DataFrame, value: str = "raw_value") -> str:
    """Per dimension of ``reward_vectors`` rows: median ``value`` over the responses with
    the interquartile range; a dimension with no value at all is drawn as missing."""
    spread = (
        vectors.group_by("category", "dimension")
        .agg(
            pl.col(value).median().alias("median"),
            pl.col(value).quantile(0.25, "linear").alias("q1"),
            pl.col(value).quantile(0.75, "linear").alias("q3"),
            pl.col(value).count().alias("n"),
            pl.len().alias("rows"),
        )
        .sort("category", "dimension")
    )
    rows = [
        (f"{r['dimension']} (n={r['n']}/{r['rows']})", r["median"], r["q1"], r["q3"])
        for r in spread.iter_rows(named=True)
    ]
    return bar_chart(rows, f"{value} per dimension: median and interquartile range", xmax=1.0)


def reward_distribution(
    scores: pl.DataFrame,
    step_label: Callable[[str], str] = _same,
    colours: ModelColours | None = None,
) -> str:
    """Aggregate reward per response (``reward_scores`` rows), one cumulative distribution
    per model (named by ``step_label``, in its ``colours``) over the observed range, on
    rounded axes; missing rewards are left out."""
    colours = colours or ModelColours(scores["candidate_model"].to_list())
    present = scores["reward"].drop_nulls()
    lo, hi = (present.min(), present.max()) if present.len() else (0.0, 1.0)
    models = sorted(set(scores["candidate_model"].to_list()))
    series = {
        step_label(str(m)): scores.filter(pl.col("candidate_model") == m)["reward"]
        .drop_nulls()
        .to_list()
        for m in models
    }
    return ecdf_chart(
        series,
        "Aggregate reward per response by model",
        colours=[colours.of(str(m)) for m in models],
        x_label="reward",
        lo=lo,
        hi=hi,
    )
