"""Stage 10 input: online user feedback from the feedback inbox (thin layer over
``quarkmed_dagster.rewards.feedback``)."""

import json

import dagster as dg

from quarkmed_dagster.ingest.batches import query_files
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.rewards.feedback import STAGE, ResponseIndex, import_feedback
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import load_sql


@dg.asset(
    deps=[dg.AssetKey("candidate_responses"), dg.AssetKey("imported_responses")],
    group_name="rewards",
    kinds={"duckdb", "python"},
    owners=["team:quarkmed"],
    code_version="user-feedback-v1",
    description=(
        "Online user feedback (ratings, thumbs, complaints) read from every file in the "
        "feedback inbox (`quarkmed import-feedback`; JSONL / CSV / Parquet), linked to stored "
        "responses by response_id or by query (id or text) and model, with content-hash ids "
        "(rereading a file adds nothing). Rows from the inbox are rebuilt on every run; bad "
        "rows, unknown responses and repeated events go to `quarantine` with a reason."
    ),
)
def user_feedback(warehouse: WarehouseResource) -> dg.MaterializeResult:
    wh = warehouse.get()
    files = query_files(get_settings().feedback_inbox_dir)
    index = ResponseIndex.from_frames(
        wh.read(load_sql("select_response_match_keys")),
        wh.read(load_sql("select_feedback_response_keys")),
    )
    result = import_feedback(files, index)
    wh.replace_selected("user_feedback", result.rows, load_sql("delete_user_feedback_imported"))
    wh.replace_rows("quarantine", result.quarantine, ["stage"], [STAGE])
    rows = result.rows
    return dg.MaterializeResult(
        metadata=table_metadata(
            wh,
            "user_feedback",
            {
                "files": len(files),
                "rows_read": result.rows_read,
                "dagster/row_count": rows.height,
                "responses_with_feedback": rows["response_id"].n_unique() if rows.height else 0,
                "linked_by": json.dumps(result.linked_by, sort_keys=True),
                "ratings": int(rows["rating"].is_not_null().sum()),
                "thumbs": int(rows["thumbs"].is_not_null().sum()),
                "complaints": int(rows["complaint"].fill_null(False).sum()),
                "quarantined": result.quarantine.height,
                "pii_replaced": json.dumps(result.pii_counts, sort_keys=True),
                "quarantine_reasons": dg.MetadataValue.md(
                    frame_to_markdown(result.quarantine.group_by("reason").len().sort("reason"))
                ),
            },
        )
    )
