"""``pipeline_runs`` rows from a run's materializations, stored per run (replaced when a run
is recorded again)."""

from __future__ import annotations

from quarkmed_dagster.run_records import TABLE, pipeline_run_frame


def test_pipeline_run_rows_are_stored_once_per_run(warehouse):
    frame = pipeline_run_frame(
        "run-1",
        [("queries", "batch-a", 40, 1_700_000_000.0), ("leaderboard", None, None, 1_700_000_001.0)],
        {"queries": "queries-v3", "leaderboard": "v2"},
    )
    assert frame["code_version"].to_list() == ["queries-v3", "v2"]
    for _ in range(2):  # recorded twice: still one row per asset
        warehouse.replace_rows(TABLE, frame, ["run_id"], ["run-1"])
    stored = warehouse.read("SELECT asset_key, partition_key, rows_written FROM pipeline_runs")
    assert sorted(stored.rows(), key=str) == sorted(
        [("queries", "batch-a", 40), ("leaderboard", None, None)], key=str
    )
