"""The validity figures as console tables, one per task, every baseline labelled."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.table import Table

from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.validity.summary import with_baseline_comparison


def instrument_label(instrument: str, kind: str) -> str:
    if kind == "baseline":
        return f"{instrument} [trivial baseline]"
    if kind == "judge" and is_baseline(instrument):
        return f"{instrument} [offline baseline judge]"
    return instrument


def verdict(row: dict) -> str:
    if row["kind"] in ("judge", "pipeline") and row["beats_baselines"] is not None:
        best = f"{row['best_baseline']} {row['best_baseline_value']:.3f}"
        return (
            f"beats every baseline (best: {best})"
            if row["beats_baselines"]
            else (f"BELOW baseline {best}")
        )
    return row["note"] or ""


def echo_validity(figures: pl.DataFrame, console: Console | None = None) -> None:
    console = console or Console()
    compared = with_baseline_comparison(figures)
    for (task, dataset), part in compared.group_by(["task", "dataset"], maintain_order=True):
        table = Table(title=f"{task} — {dataset}", title_justify="left")
        for column in ("instrument", "metric", "value", "n", "vs baselines / note"):
            table.add_column(column, justify="right" if column in ("value", "n") else "left")
        for row in part.iter_rows(named=True):
            value = "-" if row["value"] is None else f"{row['value']:.3f}"
            table.add_row(
                instrument_label(row["instrument"], row["kind"]),
                row["metric"],
                value,
                str(row["n"]),
                verdict(row),
            )
        console.print(table)
