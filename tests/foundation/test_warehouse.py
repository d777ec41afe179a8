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


WRITER = """
import sys, time
from quarkmed_dagster.warehouse import Warehouse

wh, batches, size = Warehouse(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for b in range(batches):
    with wh.writer() as con:
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "INSERT INTO quarantine (quarantine_id, stage, batch_id, reason) "
            "SELECT 'b' || ? || '-' || range, 'ingest', 'b' || ?, 'test' FROM range(?)",
            [b, b, size],
        )
        con.execute("COMMIT")
        print(b, flush=True)  # committed, but still in the WAL while the connection is open
        time.sleep(0.2)
    time.sleep(0.02)  # let the snapshot's connection in between batches
"""


def test_snapshot_while_another_process_writes_is_consistent(
    warehouse: Warehouse, tmp_path
) -> None:
    """A parallel Dagster step (another process) keeps writing whole batches; every snapshot
    taken meanwhile opens read-only, holds only whole batches and every batch committed
    before it (a plain file copy misses those still in the writer's WAL), views included."""
    import subprocess
    import sys

    from quarkmed_dagster.settings import PROJECT_ROOT

    batches, size = 12, 50
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(warehouse.path), str(batches), str(size)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        counts = []
        for line in writer.stdout:
            committed = int(line) + 1
            snapshot = warehouse.publish_snapshot(tmp_path / "snapshot.duckdb")
            con = duckdb.connect(str(snapshot), read_only=True)
            try:
                sizes = con.execute("SELECT count(*) FROM quarantine GROUP BY batch_id").fetchall()
                assert all(n == size for (n,) in sizes)  # no partial batch
                assert len(sizes) >= committed
                counts.append(len(sizes))
                # views are copied too and still read their tables
                con.execute("SELECT count(*) FROM quarantine_summary").fetchone()
            finally:
                con.close()
        assert writer.wait(timeout=120) == 0
    finally:
        if writer.poll() is None:
            writer.kill()
    assert len(counts) >= 2 and counts == sorted(counts)
    final = warehouse.publish_snapshot(tmp_path / "snapshot.duckdb")
    con = duckdb.connect(str(final), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == batches * size
    finally:
        con.close()
    assert not (tmp_path / "snapshot.duckdb.tmp").exists()
