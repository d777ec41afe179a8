"""Reading the stage's inputs from the warehouse: queries with their current evidence.

Each query is paired with the evidence of its newest corpus version (the evidence stage
writes one fingerprint per query and corpus version), passages in rank order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import polars as pl

from quarkmed_dagster.rubrics.records import Passage, QueryInput
from quarkmed_dagster.warehouse import Warehouse, load_sql


def _turns(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    raw = json.loads(value) if isinstance(value, str) else value
    return [{"role": str(t.get("role", "user")), "content": str(t.get("content", ""))} for t in raw]


def query_inputs(
    query_rows: pl.DataFrame, evidence_rows: pl.DataFrame, max_passages: int | None = None
) -> list[QueryInput]:
    """Pure: rows of ``select_rubric_queries`` and ``select_rubric_evidence`` -> inputs."""
    evidence: dict[str, list[Passage]] = defaultdict(list)
    for row in evidence_rows.sort(["query_id", "rank"]).iter_rows(named=True):
        if row["text"]:
            evidence[row["query_id"]].append(Passage(row["passage_id"], row["text"]))
    out = []
    for row in query_rows.sort("query_id").iter_rows(named=True):
        turns = _turns(row["turns"])
        history = tuple(turns[:-1]) if turns and turns[-1]["role"] == "user" else tuple(turns)
        passages = evidence.get(row["query_id"], [])
        out.append(
            QueryInput(
                query_id=row["query_id"],
                text=row["final_user_turn"] or (turns[-1]["content"] if turns else ""),
                history=history,
                is_multi_turn=bool(row["is_multi_turn"]),
                language=row.get("language"),
                evidence=tuple(passages[:max_passages] if max_passages else passages),
                corpus_version=row["corpus_version"] or "none",
                evidence_fingerprint=row["fingerprint"] or "",
            )
        )
    return out


def load_query_inputs(warehouse: Warehouse, query_ids: list[str] | None = None) -> list[QueryInput]:
    queries = warehouse.read(load_sql("select_rubric_queries"))
    if query_ids is not None:
        queries = queries.filter(pl.col("query_id").is_in(query_ids))
    evidence = warehouse.read(load_sql("select_rubric_evidence"))
    return query_inputs(queries, evidence)
