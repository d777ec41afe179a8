"""Import responses produced elsewhere (JSONL / CSV / Parquet)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

from quarkmed_dagster.responses.requests import response_id


def read_response_file(path: Path) -> pl.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.read_parquet(path)
    if suffix == ".csv":
        return pl.read_csv(path, infer_schema_length=0)
    rows = [json.loads(line) for line in path.read_text("utf-8").split("\n") if line.strip()]
    return pl.DataFrame(rows)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().casefold()


def match_responses(raw: pl.DataFrame, queries: pl.DataFrame) -> tuple[pl.DataFrame, list[dict]]:
    """Match rows to queries by query_id, else by normalised query text.
    Returns (matched frame, unmatched rows to ingest as new queries)."""
    by_id = set(queries["query_id"].to_list())
    by_text = {_norm(t): q for q, t in queries.select("query_id", "final_user_turn").iter_rows()}
    out, unmatched = [], []
    for row in raw.iter_rows(named=True):
        qid = row.get("query_id")
        if qid not in by_id:
            qid = by_text.get(_norm(row.get("query") or row.get("query_text") or ""))
        model = row.get("model") or row.get("candidate_model")
        if qid is None:
            unmatched.append(row)
            continue
        out.append(
            {
                "response_id": response_id(qid, model),
                "query_id": qid,
                "candidate_model": model,
                "is_baseline": str(model).startswith("baseline/"),
                "response_text": row.get("response"),
                "status": "imported",
            }
        )
    return pl.DataFrame(out), unmatched
