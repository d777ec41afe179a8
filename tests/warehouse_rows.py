"""Test helper: append hand-made rows to a warehouse table (tests seed the stages' inputs)."""

from __future__ import annotations

import polars as pl

from quarkmed_dagster.warehouse import Warehouse


def insert_rows(warehouse: Warehouse, table: str, rows: list[dict]) -> None:
    """INSERT the rows' columns into ``table``; the table's defaults fill the others."""
    frame = pl.DataFrame(rows, infer_schema_length=None)
    with warehouse.writer() as con:
        con.register("rows_in", frame.to_arrow())
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM rows_in")
        con.unregister("rows_in")
