"""Stage 1: query ingestion, one dynamic partition per ingested file (batch)."""

import json

import dagster as dg

from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.ingest.batches import (
    PARTITIONS_NAME,
    batch_source,
    query_files,
    register_batch,
)
from quarkmed_dagster.ingest.llm_classifier import ROLE, select_classifier
from quarkmed_dagster.ingest.pipeline import ingest_file
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse, load_sql
from quarkmed_dagster.warehouse.signatures import StoredSignatures

query_batches_partitions = dg.DynamicPartitionsDefinition(name=PARTITIONS_NAME)
QUARANTINE_WARN_RATE = 0.10
BATCH_TABLES = ("queries", "reference_rubrics", "reference_answers", "duplicates")


@dg.asset(
    partitions_def=query_batches_partitions,
    group_name="ingestion",
    kinds={"duckdb", "python"},
    owners=["team:quarkmed"],
    code_version="queries-v3",  # v3: reference texts scrubbed, lossy CSV rows
    description=(
        "Real medical questions and multi-turn sessions from one ingested file: validated, "
        "personal data replaced by typed placeholders, classified (by the profile's "
        "`classifier` model through the LLM gateway, else or on a failed call by the offline "
        "rule baseline; `category_classifier` names which decided), exact and near "
        "duplicates removed (see `duplicates`), "
        "rejected rows in `quarantine` with their reason. Also writes the physician "
        "reference rubrics and reference answers found in the file."
    ),
)
def queries(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, llm: LLMGatewayResource
) -> dg.MaterializeResult:
    batch_id = context.partition_key
    store = warehouse.get()
    path, loader = batch_source(store, batch_id)
    classifier = select_classifier(llm.role_models(ROLE), lambda: llm.gateway("queries"))
    threshold = get_settings().near_duplicate_threshold
    known = StoredSignatures(store, batch_id)
    backfilled = known.backfill(threshold)
    result = ingest_file(
        path,
        batch_id,
        loader,
        classifier=classifier,
        near_duplicate_threshold=threshold,
        max_queries=get_settings().query_limit,
        known=known,
    )
    frames = {
        "queries": result.queries,
        "reference_rubrics": result.reference_rubrics,
        "reference_answers": result.reference_answers,
        "duplicates": result.duplicates,
    }
    for table, frame in frames.items():
        store.replace_rows(table, frame, ["batch_id"], [batch_id])
    store.replace_rows("quarantine", result.quarantine, ["stage", "batch_id"], ["ingest", batch_id])
    known.store_batch(result.signatures, threshold)
    with store.writer() as con:
        con.execute(
            load_sql("update_ingest_batch_counts"),
            [
                result.rows_read,
                result.queries.height,
                result.quarantine.height,
                result.duplicates.height,
                json.dumps(result.pii_counts, sort_keys=True),
                batch_id,
            ],
        )
    categories = result.queries.group_by("category").len().sort("category")
    deciders = result.queries.group_by("category_classifier").len().sort("category_classifier")
    return dg.MaterializeResult(
        metadata=table_metadata(
            store,
            "queries",
            {
                "source_file": str(path),
                "loader": loader,
                "rows_read": result.rows_read,
                "query_limit": get_settings().query_limit or "none",
                "beyond_query_limit": result.beyond_limit,
                "dagster/row_count": result.queries.height,
                "multi_turn_sessions": int(result.queries["is_multi_turn"].sum()),
                "quarantined": result.quarantine.height,
                "quarantine_rate": round(result.quarantine_rate, 4),
                "duplicates_dropped": result.duplicates.height,
                "near_duplicate_threshold": threshold,
                "signatures_backfilled": backfilled,
                "reference_rubric_items": result.reference_rubrics.height,
                "reference_answers": result.reference_answers.height,
                "pii_replaced": json.dumps(result.pii_counts, sort_keys=True),
                "categories": dg.MetadataValue.md(frame_to_markdown(categories)),
                "classified_by": dg.MetadataValue.md(frame_to_markdown(deciders)),
                "preview": dg.MetadataValue.md(
                    frame_to_markdown(
                        result.queries.select("query_id", "category", "n_turns", "final_user_turn"),
                        max_rows=10,
                    )
                ),
            },
        )
    )


@dg.asset_check(asset=queries, blocking=True, description="GX suite `queries` on the batch.")
def queries_suite(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    store, batch_id = warehouse.get(), _partition(context)
    frame = store.read(load_sql("select_queries_check_frame"), [batch_id])
    if frame.height == 0:
        return _empty_batch_result(store, batch_id)
    return suite_check_result("queries", frame)


def _empty_batch_result(store: Warehouse, batch_id: str) -> dg.AssetCheckResult:
    """No query rows to validate: passes when quarantine and duplicates hold every row read
    (say a re-delivered file whose queries were all stored by earlier batches)."""
    counts = store.read(load_sql("select_ingest_batch_outcomes"), [batch_id])
    rows_read, quarantined, duplicates = counts.row(0) if counts.height else (None, 0, 0)
    return dg.AssetCheckResult(
        passed=rows_read is not None and rows_read == quarantined + duplicates,
        metadata={
            "suite": "queries",
            "rows": 0,
            "rows_read": rows_read if rows_read is not None else "batch not ingested",
            "quarantined": quarantined,
            "duplicates": duplicates,
        },
    )


@dg.asset_check(
    asset=queries,
    blocking=False,
    description=f"Warns when more than {QUARANTINE_WARN_RATE:.0%} of a batch's rows are rejected.",
)
def queries_quarantine_rate(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    batch = warehouse.get().read(load_sql("select_ingest_batch_outcomes"), [_partition(context)])
    rows_read, quarantined, _ = batch.row(0) if batch.height else (0, 0, 0)
    rate = (quarantined or 0) / rows_read if rows_read else 0.0
    return dg.AssetCheckResult(
        passed=rate <= QUARANTINE_WARN_RATE,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"quarantine_rate": round(rate, 4), "rows_read": rows_read or 0},
    )


def _partition(context: dg.AssetCheckExecutionContext) -> str:
    partition = context.run.tags.get("dagster/partition")
    if not partition:
        raise dg.Failure("the queries checks run per batch: launch them with a partition")
    return partition


@dg.sensor(
    target=[queries],
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Registers new files dropped in the inbox folder as batches and ingests them.",
)
def query_inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    settings = get_settings()
    store = Warehouse(settings.warehouse)
    store.ensure_schema()
    known = set(context.instance.get_dynamic_partitions(PARTITIONS_NAME))
    new = [
        batch
        for batch in (register_batch(store, p) for p in query_files(settings.inbox_dir))
        if batch not in known
    ]
    if not new:
        return dg.SensorResult(skip_reason="no new files in the inbox")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=b, run_key=b) for b in new],
        dynamic_partitions_requests=[query_batches_partitions.build_add_request(new)],
    )


SENSORS = [query_inbox_sensor]
