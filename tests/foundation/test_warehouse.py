"""Warehouse writes are idempotent and atomic; the analyst snapshot opens read-only."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from quarkmed_dagster.warehouse import Warehouse


def _rows(batch: str, ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "quarantine_id": ids,
            "stage": ["ingest"] * len(ids),
            "batch_id": [batch] * len(ids),
            "reason": ["test"] * len(ids),
        }
    )


def test_replacing_a_batch_twice_never_duplicates(warehouse: Warehouse) -> None:
    warehouse.replace_rows("quarantine", _rows("b1", ["a", "b"]), ["batch_id"], ["b1"])
    warehouse.replace_rows("quarantine", _rows("b2", ["c"]), ["batch_id"], ["b2"])
    warehouse.replace_rows("quarantine", _rows("b1", ["a", "b"]), ["batch_id"], ["b1"])
    assert warehouse.count("quarantine") == 3
    warehouse.replace_rows("quarantine", _rows("b1", ["d"]), ["batch_id"], ["b1"])
    ids = warehouse.read("SELECT quarantine_id FROM quarantine ORDER BY 1")["quarantine_id"]
    assert ids.to_list() == ["c", "d"]


def test_failed_write_keeps_the_previous_batch(warehouse: Warehouse) -> None:
    warehouse.replace_rows("quarantine", _rows("b1", ["a"]), ["batch_id"], ["b1"])
    broken = _rows("b1", ["x", "x"])  # violates the primary key
    with pytest.raises(duckdb.Error):
        warehouse.replace_rows("quarantine", broken, ["batch_id"], ["b1"])
    assert warehouse.read("SELECT quarantine_id FROM quarantine")["quarantine_id"].to_list() == [
        "a"
    ]


def test_upsert_replaces_rows_with_the_same_id(warehouse: Warehouse) -> None:
    warehouse.upsert_rows("quarantine", _rows("b1", ["a", "b"]), ["quarantine_id"])
    warehouse.upsert_rows("quarantine", _rows("b9", ["b"]), ["quarantine_id"])
    frame = warehouse.read("SELECT quarantine_id, batch_id FROM quarantine ORDER BY 1")
    assert frame.rows() == [("a", "b1"), ("b", "b9")]


def test_snapshot_opens_read_only(warehouse: Warehouse, tmp_path) -> None:
    warehouse.replace_rows("quarantine", _rows("b1", ["a"]), ["batch_id"], ["b1"])
    snapshot = warehouse.publish_snapshot(tmp_path / "snapshot.duckdb")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM quarantine")
    finally:
        con.close()
