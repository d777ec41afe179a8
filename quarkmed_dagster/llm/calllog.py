"""Rows of the ``llm_calls`` warehouse table (one per request of a gateway run).

Rows of calls that really ran are journaled in the call cache's SQLite file as each call
finishes (``encode``; see ``CallCache.commit``) and loaded into the warehouse at the end of
a run and at the start of the next one (``load_journal``), so a killed run's finished calls
reach the log after the rerun. Loading is idempotent (upsert on ``call_id``) and a cache
hit never replaces the row of the live call it reuses under the same run label: the log
keeps what the call really cost.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl

from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.llm.types import CallRequest, CallResult, stable_hash
from quarkmed_dagster.warehouse import Warehouse, load_sql

TABLE = "llm_calls"
SCHEMA = {
    "call_id": pl.Utf8,
    "cache_key": pl.Utf8,
    "run_label": pl.Utf8,
    "role": pl.Utf8,
    "model": pl.Utf8,
    "is_baseline": pl.Boolean,
    "prompt_version": pl.Utf8,
    "prompt_hash": pl.Utf8,
    "sample_index": pl.Int32,
    "tokens_in": pl.Int64,
    "tokens_out": pl.Int64,
    "cost_usd": pl.Float64,
    "latency_s": pl.Float64,
    "attempts": pl.Int32,
    "status": pl.Utf8,
    "error_class": pl.Utf8,
    "error_message": pl.Utf8,
    "raw_output": pl.Utf8,
    "created_at": pl.Datetime("us"),
    "reasks": pl.Int32,
    "finish_reason": pl.Utf8,
    "refused": pl.Boolean,
    "prompt_tokens_est": pl.Int64,
    "evidence_trimmed": pl.Int32,
}


def log_row(
    run_label: str, request: CallRequest, result: CallResult, raw_output: str | None
) -> dict[str, Any]:
    """``call_id`` = hash(run label, cache key): rerunning a run label replaces its rows."""
    return {
        "call_id": stable_hash([run_label, result.cache_key], 32),
        "cache_key": result.cache_key,
        "run_label": run_label,
        "role": request.role,
        "model": request.model,
        "is_baseline": is_baseline(request.model),
        "prompt_version": request.prompt_version,
        "prompt_hash": stable_hash(list(request.messages), 16),
        "sample_index": request.sample_index,
        "tokens_in": result.tokens_in,
        "tokens_out": result.tokens_out,
        "cost_usd": result.cost_usd,
        "latency_s": result.latency_s,
        "attempts": result.attempts,
        "status": result.status,
        "error_class": result.error_class,
        "error_message": result.error_message,
        "raw_output": raw_output,
        "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "reasks": result.reasks + int(request.reask),
        "finish_reason": result.finish_reason,
        "refused": result.refused,
        "prompt_tokens_est": request.prompt_tokens_est,
        "evidence_trimmed": request.evidence_trimmed,
    }


def encode(row: dict[str, Any]) -> str:
    """A row as journal JSON (``created_at`` as ISO text)."""
    return json.dumps({**row, "created_at": row["created_at"].isoformat()}, ensure_ascii=False)


def decode(text: str) -> dict[str, Any]:
    row = json.loads(text)
    row["created_at"] = dt.datetime.fromisoformat(row["created_at"])
    for column in SCHEMA:  # rows journaled by older code lack the newer columns
        row.setdefault(column, None)
    return row


def log_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """One row per call_id from rows in the order they were logged: the latest wins, but
    a cache hit (``cached``) never replaces a live successful call (``ok``)."""
    frame = pl.DataFrame(rows, schema=SCHEMA).with_row_index("_order")
    live = frame.filter(pl.col("status") == "ok").select("call_id").unique()
    frame = frame.filter(
        (pl.col("status") != "cached") | ~pl.col("call_id").is_in(live["call_id"].implode())
    )
    return frame.unique(subset=["call_id"], keep="last").sort("_order").drop("_order")


def load_journal(
    cache: CallCache | None, warehouse: Warehouse, rows: list[dict[str, Any]], limit: int = 50_000
) -> int:
    """Upsert the journaled rows, then ``rows`` (newer), into ``llm_calls``; drop the
    loaded journal rows. Safe to repeat and to run from several processes."""
    written = 0
    while True:
        batch = cache.log_batch(limit) if cache is not None else []
        last = len(batch) < limit
        frame = log_frame([decode(text) for _, text in batch] + (rows if last else []))
        cached_ids = frame.filter(pl.col("status") == "cached")["call_id"].to_list()
        if cached_ids:
            live = warehouse.read(load_sql("select_live_llm_calls"), [cached_ids])
            keep = (pl.col("status") != "cached") | ~pl.col("call_id").is_in(
                live["call_id"].implode()
            )
            frame = frame.filter(keep)
        written += warehouse.upsert_rows(TABLE, frame, ["call_id"])
        if batch:
            cache.drop_log(batch[-1][0])
        if last:
            return written
