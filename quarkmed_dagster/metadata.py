"""Small helpers for Dagster metadata previews (no Dagster import: plain strings)."""

from __future__ import annotations

import polars as pl


def frame_to_markdown(frame: pl.DataFrame, max_rows: int = 20, max_chars: int = 120) -> str:
    """A markdown table of the first rows, cells shortened and pipes escaped."""
    if frame.is_empty():
        return "(empty)"
    shown = frame.head(max_rows)
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    rows = []
    for row in shown.iter_rows():
        cells = [str(v).replace("|", "/").replace("\n", " ")[:max_chars] for v in row]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([header, rule, *rows])
