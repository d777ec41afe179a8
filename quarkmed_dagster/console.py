"""Terminal output shared by every command: rich tables from Polars frames, progress bars."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from rich.console import Console
from rich.measure import Measurement
from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table


def _cell(value: object, digits: int) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def frame_table(
    frame: pl.DataFrame,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    digits: int = 3,
    highlight: tuple[str, object] | None = None,
) -> Table:
    """A rich table of ``frame``: numbers right-aligned and rounded, None as n/a, names
    never cut; ``highlight=(column, value)`` shows the matching rows in bold."""
    headers = headers or {}
    table = Table(title=title, title_justify="left", header_style="bold")
    for name, dtype in frame.schema.items():
        numeric = dtype.is_numeric() and dtype != pl.Boolean
        table.add_column(headers.get(name, name), justify="right" if numeric else "left",
                         overflow="fold")  # fmt: skip
    for row in frame.iter_rows(named=True):
        bold = highlight is not None and row.get(highlight[0]) == highlight[1]
        table.add_row(*(_cell(v, digits) for v in row.values()), style="bold" if bold else None)
    return table


def print_frame(frame: pl.DataFrame, title: str | None = None, **kwargs: Any) -> None:
    """Print ``frame`` as a rich table on stdout, as wide as it needs (names never cut)."""
    table = frame_table(frame, title, **kwargs)
    console = Console()
    wide = console.options.update_width(10_000)  # measure unconstrained, then fit
    console.width = max(console.width, Measurement.get(console, wide, table).maximum)
    console.print(table)


def progress() -> Progress:
    """A rich progress bar (count, bar, elapsed, remaining) on stderr."""
    return Progress(
        *Progress.get_default_columns(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
