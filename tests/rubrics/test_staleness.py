"""Stale rubrics for the scheduled refresh: outdated configuration first, then the oldest
content (a carried rubric is as old as the one it was carried from), in bounded batches."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from quarkmed_dagster.rubrics.staleness import next_batch, refresh_batch, stale_rubrics
from quarkmed_dagster.warehouse import load_sql

NOW = datetime(2026, 6, 1)


def _insert_sets(warehouse, rows: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    names = ["query_id", "rubric_set_version", "config_hash", "status", "carried_from",
             "is_current", "created_at"]  # fmt: skip
    frame = pl.DataFrame(rows, schema=names, orient="row").with_columns(
        n_items=pl.lit(6), rounds=pl.lit(1), repaired=pl.lit(False)
    )
    with warehouse.writer() as con:
        con.register("rows_in", frame.to_arrow())
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO rubric_sets ({cols}) SELECT {cols} FROM rows_in")


def test_ages_follow_the_carried_chain_and_batches_are_bounded(warehouse):
    _insert_sets(warehouse, [
        # generated in January, carried in May and again in June: as old as January
        ("q-carried", "v1", "cfg", "ok", None, False, datetime(2026, 1, 10)),
        ("q-carried", "v2", "cfg", "carried", "v1", False, datetime(2026, 5, 1)),
        ("q-carried", "v3", "cfg", "carried", "v2", True, datetime(2026, 5, 30)),
        ("q-old", "v1", "cfg", "ok", None, True, datetime(2026, 2, 1)),
        # reverified against new evidence in May: still as old as its February generation
        ("q-reverified", "v1", "cfg", "ok", None, False, datetime(2026, 2, 2)),
        ("q-reverified", "v2", "cfg", "reverified", "v1", True, datetime(2026, 5, 28)),
        ("q-fresh", "v1", "cfg", "ok", None, True, datetime(2026, 5, 20)),
        ("q-review-old", "v1", "cfg", "review", None, True, datetime(2026, 1, 1)),
        ("q-failed", "v1", "cfg", "failed", None, False, datetime(2026, 1, 1)),
        ("q-config-a", "v1", "older-cfg", "ok", None, True, datetime(2026, 5, 25)),
        ("q-config-b", "v1", "older-cfg", "review", None, True, datetime(2026, 5, 24)),
    ])  # fmt: skip
    batch = refresh_batch(warehouse, "cfg", NOW, max_age_days=30, batch_size=1)
    # a new configuration first, oldest first; reviews too (they no longer match the config)
    assert (batch.reason, batch.query_ids) == ("outdated_config", ["q-config-b"])
    assert batch.stale == {"outdated_config": 2, "aged": 3} and batch.remaining == 4

    sets = warehouse.read(load_sql("select_current_rubric_set_ages"))
    generated = dict(zip(sets["query_id"], sets["generated_at"], strict=True))
    assert generated["q-carried"] == datetime(2026, 1, 10)
    assert generated["q-reverified"] == datetime(2026, 2, 2)
    assert "q-failed" not in generated  # infrastructure failures are retried, not refreshed

    current_config = sets.filter(pl.col("config_hash") == "cfg")
    stale = stale_rubrics(current_config, "cfg", NOW, 30)
    aged = next_batch(stale, batch_size=5)
    # the review waits for clinicians; the fresh rubric is not touched
    assert (aged.reason, aged.query_ids) == ("aged", ["q-carried", "q-old", "q-reverified"])
    assert next_batch(stale, batch_size=1).query_ids == ["q-carried"]
    assert next_batch(stale_rubrics(sets, "cfg", NOW, 365), 5).reason == "outdated_config"
    nothing = next_batch(stale_rubrics(current_config, "cfg", NOW, 365), 5)
    assert (nothing.reason, nothing.query_ids, nothing.remaining) == (None, [], 0)
