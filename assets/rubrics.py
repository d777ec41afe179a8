"""Stage 3: rubric generation by multi-model consensus (thin Dagster layer).

``candidate_answers``, ``knowledge_points`` and ``query_rubrics`` are produced together by
one multi-asset (the closed loop spans all three steps), in the ``llm`` concurrency pool.
``rubric_physician_coverage`` measures how much of the physicians' criteria the generated
rubrics cover. The logic lives in ``quarkmed_dagster.rubrics``.
"""

from typing import Literal

import dagster as dg
import polars as pl
from pydantic import Field

from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.embeddings import get_embedder
from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.multilingual import routed_encode
from quarkmed_dagster.rubrics.config import ConsensusParams
from quarkmed_dagster.rubrics.constraints_check import constraint_report
from quarkmed_dagster.rubrics.coverage_stage import run_coverage
from quarkmed_dagster.rubrics.deeper import (
    DeeperRetrieval,
    backend_search,
    excluded_by_query,
    make_deeper,
)
from quarkmed_dagster.rubrics.prompting import ALL_PROMPTS, prompt_versions
from quarkmed_dagster.rubrics.stage import models_from_roles, run_rubric_stage
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse, load_sql

GROUP = "rubrics"
OWNERS = ["team:quarkmed"]
# Prompt edits change the code version (and the rubric_set_version stored on every item).
CODE_VERSION = "rubrics-1+" + stable_hash(prompt_versions(), length=10)
KINDS = {"duckdb", "python"}


class RubricStageConfig(dg.Config):
    """Consensus knobs (defaults = the project's documented choices)."""

    personas: list[str] = Field(default_factory=lambda: ["basic", "professional", "insight"])
    samples: int = 1
    similarity_threshold: float = 0.75
    support_threshold: float = 0.5
    tie_rule: Literal["include", "exclude", "aggregator_majority"] = "aggregator_majority"
    unsupported_policy: Literal["drop", "flag"] = "drop"
    min_agreement: float = 0.5
    min_calibration_score: float | None = Field(
        default=None,
        description="Mean candidate score of a query's current rubric below this: one "
        "calibration round, then review (low_calibration). Unset: the "
        "QUARKMED_RUBRIC_MIN_CALIBRATION_SCORE setting (default off).",
    )
    deeper_k: int = 16
    refresh_policy: str | None = Field(  # Dagster config has no optional Literal
        default=None,
        description="Changed evidence, same configuration: 'reverify' (re-check the current "
        "rubric) or 'regenerate'. Unset: the QUARKMED_RUBRIC_REFRESH_POLICY setting.",
    )
    force: bool = False
    max_queries: int | None = None
    query_ids: list[str] | None = Field(
        default=None, description="Only these queries (a scheduled refresh batch)."
    )
    fresh_calls: bool = Field(
        default=False,
        description="Re-ask the models instead of reading the call cache (refresh of old rubrics).",
    )

    def params(self) -> ConsensusParams:
        return ConsensusParams(
            personas=self.personas,  # type: ignore[arg-type]
            samples=self.samples,
            similarity_threshold=self.similarity_threshold,
            support_threshold=self.support_threshold,
            tie_rule=self.tie_rule,
            unsupported_policy=self.unsupported_policy,
            min_agreement=self.min_agreement,
            min_calibration_score=self.min_calibration_score
            if self.min_calibration_score is not None
            else get_settings().rubric_min_calibration_score,
            deeper_k=self.deeper_k,
            refresh_policy=self.refresh_policy or get_settings().rubric_refresh_policy,  # type: ignore[arg-type]
        )


def _spec(key: str, description: str, deps: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        deps=deps,
        description=description,
        group_name=GROUP,
        owners=OWNERS,
        kinds={*KINDS, "llm"},
        code_version=CODE_VERSION,
    )


@dg.multi_asset(
    specs=[
        _spec(
            "candidate_answers",
            "Evidence-grounded answers: generators x personas x samples (rounds 0 and 1).",
            ["queries", "query_evidence"],
        ),
        _spec(
            "knowledge_points",
            "Points extracted by aggregators, each with the answers that support it.",
            ["candidate_answers"],
        ),
        _spec(
            "query_rubrics",
            "Consensus clusters, verification, rubric items (Essential/Important/Highlight/"
            "Pitfall), rubric sets and the clinicians' review queue.",
            ["knowledge_points", "query_evidence"],
        ),
    ],
    required_resource_keys={"warehouse", "llm", "retrieval"},
    pool="llm",
)
def rubric_generation(context: dg.AssetExecutionContext, config: RubricStageConfig):
    warehouse: Warehouse = context.resources.warehouse.get()
    gateway = context.resources.llm.gateway("rubrics", read_cache=not config.fresh_calls)
    models = models_from_roles(lambda role: [m.model for m in gateway.role_models(role)])
    deeper = _deeper_retriever(context, warehouse)
    report = run_rubric_stage(
        warehouse,
        gateway,
        models,
        config.params(),
        routed_encode,
        deeper=deeper,
        log=context.log.info,
        force=config.force,
        max_queries=config.max_queries,
        query_ids=config.query_ids,
    )
    summary = {
        "queries": report.queries,
        "generated": report.generated,
        "carried_forward": report.carried,
        "refresh_policy": report.refresh_policy,
        "reverified_kept": report.reverified,
        "reverified_then_regenerated": sum(report.reverify_regenerated.values()),
        "unchanged_skipped": report.unchanged,
        "regenerated_deeper": report.regenerated,
        "calibration_rounds": report.calibration_rounds,
        "repaired": report.repaired,
        "review": sum(report.reviews.values()),
        "failed_retry_next_run": report.failed,
        "stopped_by_budget": report.stopped_by_budget or "no",
        # searches the retrieval backend could not serve: those rounds kept their evidence
        "deeper_search_failures": deeper.failures if deeper else 0,
        "deeper_search_error": (deeper.first_error if deeper else None) or "none",
    }
    if deeper and deeper.failures:
        context.log.warning(
            f"{deeper.failures} deeper searches failed (backend error: {deeper.first_error}); "
            "those calibration rounds regenerated with the evidence they had"
        )
    yield dg.MaterializeResult(
        asset_key="candidate_answers",
        metadata=table_metadata(
            warehouse, "candidate_answers", {**summary, "cost_guard": report.estimate}
        ),
    )
    yield dg.MaterializeResult(
        asset_key="knowledge_points",
        metadata=table_metadata(
            warehouse, "knowledge_points", {"clusters": warehouse.count("rubric_clusters")}
        ),
    )
    yield dg.MaterializeResult(
        asset_key="query_rubrics",
        metadata=table_metadata(
            warehouse,
            "current_rubric_items",
            {
                **summary,
                "review_reasons": dg.MetadataValue.json(report.reviews),
                "reverify_regenerated_reasons": dg.MetadataValue.json(report.reverify_regenerated),
                "planned_calls": dg.MetadataValue.json(report.planned_calls),
                "rubric_set_versions": ", ".join(report.versions),
                "prompts": ", ".join(ALL_PROMPTS),
                "preview": dg.MetadataValue.md(
                    frame_to_markdown(
                        warehouse.read(
                            "SELECT query_id, tier, tag, title, weight, support_count, "
                            "verification FROM current_rubric_items ORDER BY query_id, tier "
                            "LIMIT 12"
                        ),
                        max_chars=80,
                    )
                ),
            },
        ),
    )


def _deeper_retriever(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> DeeperRetrieval | None:
    """Deeper retrieval (larger k, reformulated query) on the current corpus version."""
    current = warehouse.read(load_sql("select_current_corpus_version"))
    if not current.height:
        return None
    retrieval = context.resources.retrieval
    version = current["corpus_version"][0]
    search = backend_search(retrieval.retriever(), warehouse, version, retrieval.mode)
    return make_deeper(search, excluded_by_query(warehouse, version))


@dg.asset_check(
    asset="query_rubrics",
    blocking=True,
    description="GX suite on the current rubric items.",
    required_resource_keys={"warehouse"},
)
def rubric_items_suite(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    warehouse: Warehouse = context.resources.warehouse.get()
    return suite_check_result("rubric_items", warehouse.read("SELECT * FROM current_rubric_items"))


@dg.asset_check(
    asset="query_rubrics",
    blocking=True,
    description="Per-query constraints, duplicates, multi-turn tags, Pitfall/Safety support; "
    "warns when the mean items per query leaves 7-13.",
    required_resource_keys={"warehouse"},
)
def rubric_constraints(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    warehouse: Warehouse = context.resources.warehouse.get()
    report = constraint_report(warehouse)
    severity = dg.AssetCheckSeverity.ERROR if report.errors else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        passed=not report.errors and not report.warnings,
        severity=severity,
        metadata={
            "queries": report.queries,
            "mean_items_per_query": report.mean_items,
            "errors": "; ".join(report.errors[:20]) or "none",
            "warnings": "; ".join(report.warnings) or "none",
        },
    )


@dg.asset(
    deps=["query_rubrics", "queries"],
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
    code_version="coverage-1",
    description="Physician coverage (validity only): recall of HealthBench / K-QA physician "
    "criteria by our items, and precision of our items, by tier.",
    required_resource_keys={"warehouse"},
)
def rubric_physician_coverage(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    warehouse: Warehouse = context.resources.warehouse.get()
    frame: pl.DataFrame = run_coverage(warehouse, get_embedder().encode)
    return dg.MaterializeResult(
        metadata=table_metadata(
            warehouse,
            "rubric_coverage",
            {
                "dagster/row_count": frame.height,
                "preview": dg.MetadataValue.md(
                    frame_to_markdown(frame, max_rows=100, max_chars=80)
                ),
            },
        )
    )
