"""Rows of the ``llm_calls`` warehouse table (one per request of a gateway run)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.llm.types import CallRequest, CallResult, stable_hash

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
    }


def log_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    # A request repeated within a run shares its call_id: the row of the real call wins.
    frame = pl.DataFrame(rows, schema=SCHEMA)
    return frame.unique(subset=["call_id"], keep="first", maintain_order=True)
