"""Stage 5: judge panels grade every candidate response against the current rubric items.

Thin layer: the logic is ``quarkmed_dagster.judging.stage``. One multi-asset writes the
per-judge verdicts and the panel's majority verdicts together (the vote needs all judges).
"""

from typing import Literal

import dagster as dg
import polars as pl

from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.judging.payloads import JUDGE_PROMPT
from quarkmed_dagster.judging.stage import (
    ITEM_VERDICT_KEY,
    VERDICT_KEY,
    judge_stage,
    missing_verdicts,
)
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.prompts import prompts_version
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.warehouse import load_sql

GROUP = "judging"
CODE_VERSION = f"judging-2-{prompts_version([JUDGE_PROMPT])}"  # the judge template's hash


class JudgingConfig(dg.Config):
    """batched: one call grades all items of a response; per_item: HealthBench style."""

    mode: Literal["batched", "per_item"] = "batched"
    seed: int = 0


def _spec(key: str, description: str, deps: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        deps=deps,
        description=description,
        group_name=GROUP,
        owners=["team:quarkmed"],
        kinds={"duckdb", "python", "llm"},
        code_version=CODE_VERSION,
    )


@dg.multi_asset(
    specs=[
        _spec(
            "judge_verdicts",
            "One verdict per (response, current rubric item, judge): level, Pitfall severity, "
            "rationale, status. A failed or unparseable judgment is a NULL level.",
            ["candidate_responses", "imported_responses", "evaluated_responses", "query_rubrics"],
        ),
        _spec(
            "item_verdicts",
            "Panel majority per (response, item) with the explicit tie rules (positive tiers: "
            "lower credit; Pitfall: more severe), vote count and agreement; run-level Fleiss' "
            "kappa and Krippendorff's alpha in judge_panel_stats.",
            ["judge_verdicts"],
        ),
    ],
    pool="llm",
)
def judge_panel(config: JudgingConfig, warehouse: WarehouseResource, llm: LLMGatewayResource):
    wh = warehouse.get()
    judges = [m.model for m in llm.role_models("judges")]
    items = wh.read("SELECT * FROM current_rubric_items")
    responses = wh.read(load_sql("select_judging_responses"))
    out = judge_stage(
        llm.gateway("judge_panel"),
        judges,
        wh.read_table("queries"),
        responses,
        items,
        mode=config.mode,
        seed=config.seed,
    )
    wh.upsert_rows("judge_verdicts", out.judge_verdicts, VERDICT_KEY)
    wh.upsert_rows("item_verdicts", out.item_verdicts, ITEM_VERDICT_KEY)
    if out.judge_verdicts.height:
        wh.upsert_rows("judge_panel_stats", out.panel_stats, ["panel_run_id", "scope"])
    status = out.judge_verdicts.group_by("status").len().sort("status")
    yield dg.MaterializeResult(
        asset_key="judge_verdicts",
        metadata=table_metadata(
            wh,
            "judge_verdicts",
            {
                "dagster/row_count": out.judge_verdicts.height,
                "judges": ", ".join(judges),
                "mode": config.mode,
                "responses": responses.height,
                "by_status": dg.MetadataValue.md(frame_to_markdown(status)),
                "preview": dg.MetadataValue.md(
                    frame_to_markdown(out.judge_verdicts.drop("rationale"), max_rows=10)
                ),
            },
        ),
    )
    yield dg.MaterializeResult(
        asset_key="item_verdicts",
        metadata=table_metadata(
            wh,
            "item_verdicts",
            {
                "dagster/row_count": out.item_verdicts.height,
                "null_verdicts": int(out.item_verdicts["level"].null_count()),
                "panel_agreement": dg.MetadataValue.md(
                    frame_to_markdown(out.panel_stats.drop("panel_run_id", "created_at"))
                ),
                "preview": dg.MetadataValue.md(frame_to_markdown(out.item_verdicts, max_rows=10)),
            },
        ),
    )


@dg.asset_check(
    asset="judge_verdicts",
    blocking=True,
    description="Every response has a verdict row (possibly NULL) per current item and judge.",
)
def judge_verdicts_complete(
    warehouse: WarehouseResource, llm: LLMGatewayResource
) -> dg.AssetCheckResult:
    wh = warehouse.get()
    judges = [m.model for m in llm.role_models("judges")]
    missing = missing_verdicts(
        wh.read("SELECT * FROM current_rubric_items"),
        wh.read(load_sql("select_judging_responses")),
        wh.read_table("judge_verdicts"),
        judges,
    )
    return dg.AssetCheckResult(
        passed=missing.is_empty(),
        metadata={
            "missing_rows": missing.height,
            "examples": dg.MetadataValue.md(frame_to_markdown(missing, max_rows=5)),
        },
    )


@dg.asset_check(asset="judge_verdicts", blocking=True, description="GX suite judge_verdicts.")
def judge_verdicts_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return suite_check_result("judge_verdicts", warehouse.get().read_table("judge_verdicts"))


@dg.asset_check(asset="item_verdicts", blocking=True, description="GX suite item_verdicts.")
def item_verdicts_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame: pl.DataFrame = warehouse.get().read_table("item_verdicts")
    return suite_check_result("item_verdicts", frame)
