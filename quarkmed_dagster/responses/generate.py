"""Candidate answers per (query, model) through a gateway, as candidate_responses rows."""

from __future__ import annotations

import json

import polars as pl

from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.llm.types import CallResult, Gateway
from quarkmed_dagster.responses.requests import candidate_request, response_id


def answer_text(result: CallResult) -> str | None:
    """The answer of a successful call (``{"answer": ...}`` JSON, else the raw text)."""
    if result.status not in ("ok", "cached") or not result.text:
        return None
    try:
        answer = json.loads(result.text).get("answer")
    except (ValueError, AttributeError):
        return result.text
    return answer if isinstance(answer, str) else None


def generate_responses(
    gateway: Gateway,
    queries: pl.DataFrame,
    reference_by_query: dict[str, str],
    models: list[str],
) -> pl.DataFrame:
    """Every model answers every query (``queries``: query_id, turns); a failed call is a
    row with NULL text and status 'failed'."""
    plan = [(q, t, m) for q, t in queries.select("query_id", "turns").iter_rows() for m in models]
    reqs = [candidate_request(m, t, reference_by_query.get(q)) for q, t, m in plan]
    results = gateway.run(reqs) if reqs else []
    rows = []
    for (q, _, m), req, res in zip(plan, reqs, results, strict=True):
        text = answer_text(res)
        rows.append(
            {
                "response_id": response_id(q, m),
                "query_id": q,
                "candidate_model": m,
                "is_baseline": is_baseline(m),
                "response_text": text,
                # never "cached": a result row must not depend on where the answer came from
                "status": "ok" if text is not None else "failed",
                "call_key": req.cache_key,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)
