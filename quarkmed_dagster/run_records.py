"""``pipeline_runs``: one row per asset a Dagster run materialized (run id, asset key,
partition, rows written, code version, when), so analysts can see which run wrote what.
Written by the main job and ``quarkmed eval`` after each run."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl

from quarkmed_dagster.warehouse import Warehouse

TABLE = "pipeline_runs"
SCHEMA = {
    "run_id": pl.Utf8,
    "asset_key": pl.Utf8,
    "partition_key": pl.Utf8,
    "rows_written": pl.Int64,
    "code_version": pl.Utf8,
    "finished_at": pl.Datetime("us"),
}


def pipeline_run_frame(
    run_id: str,
    materializations: Iterable[tuple[str, str | None, int | None, float]],
    code_versions: Mapping[str, str | None],
) -> pl.DataFrame:
    """Rows from (asset key, partition, rows written, unix time) per materialization."""
    rows = [
        {
            "run_id": run_id,
            "asset_key": key,
            "partition_key": partition,
            "rows_written": rows,
            "code_version": code_versions.get(key),
            "finished_at": datetime.fromtimestamp(at, UTC).replace(tzinfo=None),
        }
        for key, partition, rows, at in materializations
    ]
    return pl.DataFrame(rows, schema=SCHEMA)


def record_run(wh: Warehouse, result: Any, asset_graph: Any) -> int:
    """Store the materializations of ``result`` (an ``ExecuteInProcessResult``) for its run;
    re-recording a run replaces its rows."""
    found = []
    for event in result.get_asset_materialization_events():
        metadata = event.step_materialization_data.materialization.metadata
        rows = metadata.get("dagster/row_count")
        found.append(  # recorded as the run ends: its events carry no time of their own
            (event.asset_key.to_user_string(), event.partition, rows.value if rows else None,
             time.time())
        )  # fmt: skip
    keys = {key for key, *_ in found}
    versions = {
        k.to_user_string(): asset_graph.get(k).code_version
        for k in asset_graph.get_all_asset_keys()
        if k.to_user_string() in keys
    }
    frame = pipeline_run_frame(result.run_id, found, versions)
    wh.ensure_schema()
    return wh.replace_rows(TABLE, frame, ["run_id"], [result.run_id])
