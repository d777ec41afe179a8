"""Steps skipped for an absent optional input (table ``skipped_steps``).

An optional input that a user's own data may not have (the K-QA annotator file, reference
answers to fit the reward normalization on) does not fail the run: the step that needs it
records "skipped: <reason>" here and in its metadata, writes nothing else, and every other
step still builds (leaderboard, marts, report; the report lists the skipped steps). A step
that runs again clears its row.
"""

from __future__ import annotations

import polars as pl

from quarkmed_dagster.warehouse import Warehouse, load_sql


def skipped(reason: str) -> str:
    """The text recorded for a skipped step (metadata and report)."""
    return f"skipped: {reason}"


def record_skip(wh: Warehouse, asset_key: str, reason: str) -> str:
    frame = pl.DataFrame({"asset_key": [asset_key], "reason": [skipped(reason)]})
    wh.upsert_rows("skipped_steps", frame, ["asset_key"])
    return skipped(reason)


def clear_skip(wh: Warehouse, asset_key: str) -> None:
    with wh.writer() as con:
        con.execute(load_sql("delete_skipped_step"), [asset_key])


def skipped_steps(wh: Warehouse) -> pl.DataFrame:
    return wh.read(load_sql("select_skipped_steps"))
