"""Stage 4: every configured candidate answers every query (full multi-turn history)."""

from __future__ import annotations

import json

import dagster as dg
import polars as pl

from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.responses.requests import candidate_request, response_id


@dg.asset(
    key="candidate_responses",
    deps=[dg.AssetKey("queries")],
    group_name="responses",
    kinds={"duckdb", "python"},
    owners=["team:quarkmed"],
    code_version="v1",
    pool="llm",
    description="Candidate answers per (query, model); failed calls stored with NULL text.",
)
def candidate_responses(
    warehouse: WarehouseResource, llm: LLMGatewayResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    queries = wh.read_table("queries")
    refs = wh.read_table("reference_answers")
    ref_by_q = dict(zip(refs["query_id"].to_list(), refs["answer_text"].to_list(), strict=True))
    models = [m.model for m in llm.role_models("candidates")]
    plan = [(q, t, m) for q, t in queries.select("query_id", "turns").iter_rows() for m in models]
    reqs = [candidate_request(m, t, ref_by_q.get(q)) for q, t, m in plan]
    results = llm.gateway("candidate_responses").run(reqs) if reqs else []
    rows = []
    for (q, _, m), req, res in zip(plan, reqs, results, strict=True):
        text = None
        if res.status in ("ok", "cached") and res.text:
            try:
                text = json.loads(res.text).get("answer")
            except (ValueError, AttributeError):
                text = res.text
        rows.append(
            {
                "response_id": response_id(q, m),
                "query_id": q,
                "candidate_model": m,
                "is_baseline": m.startswith("baseline/"),
                "response_text": text,
                "status": res.status if text is not None else "failed",
                "call_key": req.cache_key,
            }
        )
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if frame.height:
        wh.upsert_rows("candidate_responses", frame, ["response_id"])
    return dg.MaterializeResult(metadata={"dagster/row_count": frame.height})
