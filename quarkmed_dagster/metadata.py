"""Dagster metadata for the assets: markdown previews, and one helper that gives every
asset over a warehouse table its row count, column schema and preview (the Dagster UI shows
``dagster/row_count`` and ``dagster/column_schema`` natively)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from quarkmed_dagster.warehouse import Warehouse
from quarkmed_dagster.warehouse.columns import column_description

ROW_COUNT = "dagster/row_count"
COLUMN_SCHEMA = "dagster/column_schema"
PREVIEW = "preview"


def frame_to_markdown(frame: pl.DataFrame, max_rows: int = 20, max_chars: int = 120) -> str:
    """A markdown table of the first rows, cells shortened and pipes escaped."""
    if frame.is_empty():
        return "(empty)"
    shown = frame.head(max_rows)
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    rows = []
    for row in shown.iter_rows():
        cells = [
            (f"{v:.4g}" if isinstance(v, float) else str(v))
            .replace("|", "/")
            .replace("\n", " ")[:max_chars]
            for v in row
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([header, rule, *rows])


def svg_markdown(svg: str, alt: str) -> str:
    """Markdown image with the SVG inlined as a base64 data URI."""
    data = base64.b64encode(svg.encode()).decode()
    return f"![{escape(alt)}](data:image/svg+xml;base64,{data})"


def save_plots(plots: Mapping[str, str], directory: Path) -> dict[str, str]:
    """Write each SVG to ``directory/<name>.svg``; return name -> markdown image."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, svg in plots.items():
        (directory / f"{name}.svg").write_text(svg, encoding="utf-8")
    return {name: svg_markdown(svg, name) for name, svg in plots.items()}


def column_schema(wh: Warehouse, table: str) -> dg.TableSchema:
    """The stored columns of a warehouse table or view, with DuckDB types and nullability."""
    described = wh.read(f'DESCRIBE "{table}"')
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=r["column_name"],
                type=r["column_type"],
                description=column_description(table, r["column_name"]),
                constraints=dg.TableColumnConstraints(nullable=r["null"] != "NO"),
            )
            for r in described.iter_rows(named=True)
        ]
    )


def frame_metadata(
    frame: pl.DataFrame,
    metadata: Mapping[str, Any] | None = None,
    preview_rows: int = 10,
    table: str = "",
) -> dict[str, Any]:
    """Row count, column schema (Polars types, column descriptions of ``table``) and
    markdown preview of ``frame``, under the asset's own ``metadata`` (which wins where both
    give a key)."""
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, str(dtype), description=column_description(table, name))
            for name, dtype in frame.schema.items()
        ]
    )
    out: dict[str, Any] = {
        ROW_COUNT: frame.height,
        COLUMN_SCHEMA: dg.MetadataValue.table_schema(schema),
        PREVIEW: dg.MetadataValue.md(frame_to_markdown(frame, max_rows=preview_rows)),
    }
    return {**out, **(metadata or {})}


def table_metadata(
    wh: Warehouse,
    table: str,
    metadata: Mapping[str, Any] | None = None,
    preview_rows: int = 10,
) -> dict[str, Any]:
    """An asset's metadata over warehouse ``table``: the asset's own ``metadata`` plus, where it
    does not give them, the table's row count, its column schema and a markdown preview of
    its first rows. An asset that reports the rows of one run or batch passes its own
    ``dagster/row_count`` (and ``preview``)."""
    own = dict(metadata or {})
    out: dict[str, Any] = {
        "dagster/table_name": table,
        COLUMN_SCHEMA: dg.MetadataValue.table_schema(column_schema(wh, table)),
    }
    if ROW_COUNT not in own:
        out[ROW_COUNT] = wh.count(table)
    if PREVIEW not in own:
        head = wh.read(f'SELECT * FROM "{table}" LIMIT {int(preview_rows)}')
        out[PREVIEW] = dg.MetadataValue.md(frame_to_markdown(head, max_chars=80))
    return {**out, **own}
