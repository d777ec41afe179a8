"""Stage 4: every configured candidate answers every query (full multi-turn history), and
responses of models run elsewhere are imported from the responses inbox."""

import json

import dagster as dg

from quarkmed_dagster.ingest.batches import query_files
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.responses.generate import generate_responses
from quarkmed_dagster.responses.importing import STAGE, QueryIndex, import_responses
from quarkmed_dagster.responses.pending import write_pending_queries
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import load_sql


@dg.asset(
    key="candidate_responses",
    deps=[dg.AssetKey("queries")],
    group_name="responses",
    kinds={"duckdb", "python"},
    owners=["team:quarkmed"],
    code_version="v2",
    pool="llm",
    description="Candidate answers per (query, model), read by `responses.answers` (reasoning "
    "blocks and code fences removed, an unusable reply re-asked once); NULL text with status "
    "failed / unparseable / no_answer when there is no answer.",
)
def candidate_responses(
    warehouse: WarehouseResource, llm: LLMGatewayResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    queries = wh.read_table("queries")
    refs = wh.read_table("reference_answers")
    ref_by_q = dict(zip(refs["query_id"].to_list(), refs["answer_text"].to_list(), strict=True))
    models = [m.model for m in llm.role_models("candidates")]
    frame = generate_responses(llm.gateway("candidate_responses"), queries, ref_by_q, models)
    if frame.height:
        wh.upsert_rows("candidate_responses", frame, ["response_id"])
    counts = dict(frame.group_by("status").len().iter_rows()) if frame.height else {}
    return dg.MaterializeResult(
        metadata=table_metadata(
            wh,
            "candidate_responses",
            {
                "dagster/row_count": frame.height,
                **{s: int(counts.get(s, 0)) for s in ("ok", "no_answer", "unparseable", "failed")},
            },
        )
    )


@dg.asset(
    key="imported_responses",
    deps=[dg.AssetKey("queries")],
    group_name="responses",
    kinds={"duckdb", "python"},
    owners=["team:quarkmed"],
    code_version="v1",
    description=(
        "Responses of models run elsewhere, read from every file in the responses inbox "
        "(`quarkmed import-responses`), written to candidate_responses with status "
        "'imported' and graded like generated ones. Matched to queries by query_id, else by "
        "scrubbed query text; text that matches no query is written to the query inbox as a "
        "new query file (its responses stay pending until it is ingested); bad rows, "
        "'baseline/' or configured-candidate model names go to `quarantine` with a reason."
    ),
)
def imported_responses(
    warehouse: WarehouseResource, llm: LLMGatewayResource
) -> dg.MaterializeResult:
    settings = get_settings()
    wh = warehouse.get()
    files = query_files(settings.responses_inbox_dir)
    result = import_responses(
        files,
        QueryIndex.from_keys(wh.read(load_sql("select_response_match_keys"))),
        reserved_models=[m.model for m in llm.role_models("candidates")],
    )
    wh.upsert_rows("candidate_responses", result.responses, ["response_id"])
    wh.replace_rows("quarantine", result.quarantine, ["stage"], [STAGE])
    query_file, new_queries = write_pending_queries(settings.inbox_dir, result.pending_texts)
    return dg.MaterializeResult(
        metadata=table_metadata(
            wh,
            "candidate_responses",
            {
                "files": len(files),
                "rows_read": result.rows_read,
                "dagster/row_count": result.responses.height,
                "matched_by_id": result.matched_by.get("id", 0),
                "matched_by_text": result.matched_by.get("text", 0),
                "pending_responses": len(result.pending),
                "new_queries_written": new_queries,
                "new_query_file": str(query_file) if query_file else "none",
                "quarantined": result.quarantine.height,
                "pii_replaced": json.dumps(result.pii_counts, sort_keys=True),
                "quarantine_reasons": dg.MetadataValue.md(
                    frame_to_markdown(result.quarantine.group_by("reason").len().sort("reason"))
                ),
                "preview": dg.MetadataValue.md(
                    frame_to_markdown(result.responses, max_rows=10, max_chars=80)
                ),
            },
        )
    )
