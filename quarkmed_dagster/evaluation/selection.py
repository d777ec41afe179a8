"""Which queries an evaluation answers: the current query set (queries with current rubric
items), optionally only those listed in a file, optionally the first N of them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl


def read_query_ids(path: Path) -> list[str]:
    """Query ids from a file: one per line, or JSONL / CSV / Parquet rows with query_id."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.read_parquet(path, columns=["query_id"])["query_id"].cast(str).to_list()
    if suffix == ".csv":
        return pl.read_csv(path, columns=["query_id"])["query_id"].cast(str).to_list()
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        ids.append(str(json.loads(line)["query_id"]) if line.startswith("{") else line)
    return ids


def select_queries(
    current: list[str], wanted: list[str] | None = None, limit: int | None = None
) -> tuple[list[str], list[str]]:
    """(selected ids in current order, wanted ids not in the current query set)."""
    chosen = current
    unknown: list[str] = []
    if wanted:
        keep = set(wanted)
        chosen = [q for q in current if q in keep]
        unknown = sorted(keep - set(current))
    if limit is not None:
        chosen = chosen[: max(0, limit)]
    return chosen, unknown
