"""Stage 2: the versioned knowledge corpus and per-query evidence."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.retrieval import build_corpus_from_folders, retrieve_evidence
from quarkmed_dagster.retrieval.leakage import exclusions, leaked_evidence
from quarkmed_dagster.retrieval.resource import RetrievalResource
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse, load_sql

KEEP_CORPUS_VERSIONS = 3
FINGERPRINT_KEY = "folder_fingerprint"
OWNERS = ["team:quarkmed"]


def corpus_folders() -> list[Path]:
    settings = get_settings()
    return [settings.sample_data_dir / "corpus", settings.corpus_inbox_dir]


def _folder_fingerprint(folders: list[Path]) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def current_corpus_version(store: Warehouse) -> str:
    frame = store.read(load_sql("select_current_corpus_version"))
    if frame.is_empty():
        raise dg.Failure("no current corpus version: materialize knowledge_corpus first")
    return frame.item(0, 0)


@dg.asset(
    group_name="knowledge",
    kinds={"duckdb", "python"},
    owners=OWNERS,
    code_version="knowledge_corpus-v1",
    description=(
        "Evidence documents chunked into passages (sentence boundaries, ~100-300 tokens, "
        "one-sentence overlap) and indexed as one corpus version (hash of the passage set). "
        "Embedded tantivy index by default; a fresh Elasticsearch index plus an atomic alias "
        "swap when QUARKMED_ES_URL is set. Sources: bundled MedQuAD sample + corpus_inbox."
    ),
)
def knowledge_corpus(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, retrieval: RetrievalResource
) -> dg.MaterializeResult:
    fingerprint = _folder_fingerprint(corpus_folders())  # before reading: a later change re-runs
    build = build_corpus_from_folders(corpus_folders())
    if not build.passages:
        raise dg.Failure(f"no evidence documents found in {corpus_folders()}")
    retriever = retrieval.retriever()
    index_name = retriever.build(build.passages, build.version)
    store = warehouse.get()
    version = build.version
    store.replace_rows("documents", build.documents_frame(), ["corpus_version"], [version])
    store.replace_rows("passages", build.passages_frame(), ["corpus_version"], [version])
    versions_row = pl.DataFrame(
        {
            "corpus_version": [version],
            "n_documents": [len(build.documents)],
            "n_passages": [len(build.passages)],
            "backend": [retriever.name],
            "index_name": [index_name],
            "is_current": [True],
            "built_at": [datetime.now(UTC).replace(tzinfo=None)],
        }
    )
    previous = store.read(load_sql("select_current_corpus_version"))
    store.upsert_rows("corpus_versions", versions_row, ["corpus_version"])
    with store.writer() as con:
        con.execute(load_sql("mark_current_corpus_version"), [version])
        con.execute(load_sql("delete_stale_corpus_versions"), [KEEP_CORPUS_VERSIONS])
        con.execute(load_sql("delete_passages_of_dropped_versions"))
        con.execute(load_sql("delete_documents_of_dropped_versions"))
    sources = build.documents_frame().group_by("source").len().sort("len", descending=True)
    context.log.info(f"corpus version {version}: {len(build.passages)} passages on {index_name}")
    return dg.MaterializeResult(
        data_version=dg.DataVersion(version),
        metadata=table_metadata(
            store,
            "passages",
            {
                "corpus_version": version,
                FINGERPRINT_KEY: fingerprint,
                "previous_version": previous.item(0, 0) if previous.height else "none",
                "backend": retriever.name,
                "index": index_name,
                "documents": len(build.documents),
                "passages": len(build.passages),
                "dagster/row_count": len(build.passages),
                "sources": dg.MetadataValue.md(frame_to_markdown(sources)),
            },
        ),
    )


@dg.asset(
    deps=["queries", knowledge_corpus],
    group_name="knowledge",
    kinds={"duckdb", "python"},
    owners=OWNERS,
    code_version="query_evidence-v3",
    description=(
        "Top-k passages per query from the current corpus version (final user turn plus the "
        "salient terms of earlier user turns for sessions; optional lay-to-clinical term "
        "expansion) and one evidence fingerprint "
        "per query: later stages redo a query only when its fingerprint changes. Leak-free: "
        "a query never gets a passage of its own reference documents (declared "
        "`reference_of`, or text that is mostly its reference answer), listed in "
        "`evidence_exclusions`."
    ),
)
def query_evidence(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, retrieval: RetrievalResource
) -> dg.MaterializeResult:
    store = warehouse.get()
    version = current_corpus_version(store)
    retriever = retrieval.retriever()
    passages = store.read(
        "SELECT passage_id, content_hash FROM passages WHERE corpus_version = ?", [version]
    )
    if not retriever.has_version(version):
        raise dg.Failure(
            f"the {retriever.name} index has no corpus version {version}: "
            "re-materialize knowledge_corpus"
        )
    queries = store.read(load_sql("select_evidence_queries"))
    hashes = dict(zip(passages["passage_id"], passages["content_hash"], strict=True))
    exclusions = own_reference_exclusions(store, version, queries["query_id"].to_list())
    evidence, fingerprints = retrieve_evidence(
        queries,
        retriever,
        version,
        hashes,
        k=retrieval.top_k,
        mode=retrieval.mode,
        expand=retrieval.expand_terms,
        excluded=exclusions.excluded,
    )
    previous = store.read(
        "SELECT corpus_version FROM corpus_versions WHERE NOT is_current "
        "ORDER BY built_at DESC LIMIT 1"
    )
    store.replace_rows("query_evidence", evidence, ["corpus_version"], [version])
    store.replace_rows("evidence_fingerprints", fingerprints, ["corpus_version"], [version])
    store.replace_rows("evidence_exclusions", exclusions.table, ["corpus_version"], [version])
    changes = store.read(
        load_sql("select_fingerprint_changes"),
        [previous.item(0, 0) if previous.height else "", version],
    ).row(0, named=True)
    context.log.info(f"evidence for {queries.height} queries on corpus {version}: {changes}")
    preview = evidence.head(10).join(
        store.read(
            "SELECT passage_id, left(text, 80) AS passage FROM passages WHERE corpus_version = ?",
            [version],
        ),
        on="passage_id",
        how="left",
    )
    return dg.MaterializeResult(
        metadata=table_metadata(
            store,
            "query_evidence",
            {
                "corpus_version": version,
                "queries": queries.height,
                "dagster/row_count": evidence.height,
                "retriever": f"{retriever.name}:{retrieval.mode}",
                "k": retrieval.top_k,
                "term_expansion": retrieval.expand_terms,
                "own_reference_documents_excluded": exclusions.table.height,
                "queries_with_excluded_references": exclusions.table["query_id"].n_unique(),
                **{k: int(v) for k, v in changes.items()},
                "preview": dg.MetadataValue.md(frame_to_markdown(preview)),
            },
        ),
    )


@dataclass(frozen=True)
class _Exclusions:
    """Per query, the passages of its own reference documents, and the table listing them."""

    table: pl.DataFrame
    excluded: dict[str, set[str]]


def own_reference_exclusions(store: Warehouse, version: str, query_ids: list[str]) -> _Exclusions:
    table, excluded = exclusions(
        store.read(load_sql("select_leakage_documents"), [version]),
        store.read(load_sql("select_leakage_passages"), [version]),
        store.read(load_sql("select_reference_answer_texts")),
        query_ids,
    )
    return _Exclusions(table.with_columns(pl.lit(version).alias("corpus_version")), excluded)


@dg.asset_check(
    asset=query_evidence,
    blocking=True,
    description=(
        "Leak-free evidence, checked from the outcome: no query's evidence passage is mostly "
        "a piece of that query's own reference answer (word-shingle containment, "
        "`retrieval.leakage`), whatever the document links say."
    ),
)
def query_evidence_leak_free(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    store = warehouse.get()
    evidence = store.read(load_sql("select_current_evidence_texts"))
    leaked = leaked_evidence(evidence, store.read(load_sql("select_reference_answer_texts")))
    preview = leaked.select("query_id", "passage_id", "containment").head(10)
    return dg.AssetCheckResult(
        passed=leaked.is_empty(),
        metadata={
            "evidence_rows": evidence.height,
            "leaked_rows": leaked.height,
            "leaked_queries": leaked["query_id"].n_unique(),
            "preview": dg.MetadataValue.md(frame_to_markdown(preview)),
        },
    )


@dg.asset_check(asset=knowledge_corpus, blocking=True, description="GX suite `passages`.")
def passages_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    store = warehouse.get()
    frame = store.read(
        "SELECT p.*, v.is_current AS is_current_version FROM passages p "
        "JOIN corpus_versions v USING (corpus_version) WHERE v.is_current"
    )
    return suite_check_result("passages", frame)


@dg.asset_check(asset=query_evidence, blocking=True, description="GX suite `query_evidence`.")
def query_evidence_suite(
    warehouse: WarehouseResource, retrieval: RetrievalResource
) -> dg.AssetCheckResult:
    store = warehouse.get()
    version = current_corpus_version(store)
    summary = store.read(
        load_sql("select_evidence_check_summary"), [retrieval.top_k, version, version, version]
    )
    return suite_check_result("query_evidence", summary)


def _built_fingerprint(instance: dg.DagsterInstance) -> str | None:
    """The folder fingerprint the latest knowledge_corpus materialization was built from."""
    event = instance.get_latest_materialization_event(dg.AssetKey("knowledge_corpus"))
    materialization = event.asset_materialization if event is not None else None
    value = materialization.metadata.get(FINGERPRINT_KEY) if materialization else None
    return str(value.value) if value is not None else None


@dg.sensor(
    target=[knowledge_corpus],
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        "Rebuilds the corpus when files in the corpus folders change (compared, on its first "
        "tick, with the folders the current corpus was built from: starting the UI on an "
        "up-to-date warehouse launches no run)."
    ),
)
def corpus_change_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    fingerprint = _folder_fingerprint(corpus_folders())
    built = context.cursor or _built_fingerprint(context.instance)
    if fingerprint == built:
        return dg.SensorResult(skip_reason="corpus folders unchanged", cursor=fingerprint)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"corpus-{fingerprint}")], cursor=fingerprint
    )


SENSORS = [corpus_change_sensor]
