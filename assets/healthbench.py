"""HealthBench-compatible scores: every answered response of a query with HealthBench
physician criteria is judged against those criteria (one item each, the configured judges,
the ordinary judging code and call cache) and scored with the official HealthBench formula.

Thin layer: the logic is ``quarkmed_dagster.scoring.healthbench_stage``.
"""

import dagster as dg
import polars as pl

from assets.judging import CODE_VERSION as JUDGING_CODE_VERSION
from assets.judging import JudgingConfig
from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.scoring.healthbench_stage import healthbench_stage
from quarkmed_dagster.warehouse import load_sql


@dg.asset(
    key="healthbench_scores",
    deps=["queries", "candidate_responses", "imported_responses"],
    group_name="judging",
    kinds={"duckdb", "python", "llm"},
    owners=["team:quarkmed"],
    code_version=f"healthbench-1-{JUDGING_CODE_VERSION}",
    pool="llm",
    description=(
        "HealthBench-compatible score (physician criteria) per candidate model: each "
        "HealthBench criterion of a query is judged for every answered response (met = judge "
        "level 1.0; NULL judgments excluded), example score = points of met criteria / "
        "positive points, model score = mean clipped to [0, 1] with a 1000-sample bootstrap "
        "std. Verdicts in healthbench_verdicts, example scores in healthbench_example_scores."
    ),
)
def healthbench_scores(
    config: JudgingConfig, warehouse: WarehouseResource, llm: LLMGatewayResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    judges = list(llm.role_models("judges"))
    out = healthbench_stage(
        llm.gateway("healthbench_scores"),
        [m.model for m in judges],
        baseline_judges=any(m.is_baseline for m in judges),
        queries=wh.read_table("queries"),
        responses=wh.read(load_sql("select_healthbench_responses")),
        criteria=wh.read(load_sql("select_healthbench_criteria")),
        mode=config.mode,
        seed=config.seed,
    )
    # derived in full from the current criteria and responses (the call cache makes a rerun
    # free), so each table is replaced as a whole
    for table, frame in (
        ("healthbench_verdicts", out.verdicts),
        ("healthbench_example_scores", out.examples),
        ("healthbench_scores", out.scores),
    ):
        wh.replace_selected(table, frame, f'DELETE FROM "{table}"')
    status = out.verdicts.group_by("status").len().sort("status")
    return dg.MaterializeResult(
        metadata=table_metadata(
            wh,
            "healthbench_scores",
            {
                "dagster/row_count": out.scores.height,
                "verdict_rows": out.verdicts.height,
                "null_verdicts": int(out.verdicts["met"].null_count()),
                "examples": out.examples.height,
                "unscored_examples": int(out.examples["score"].null_count()),
                "mode": config.mode,
                "by_status": dg.MetadataValue.md(frame_to_markdown(status)),
                "preview": dg.MetadataValue.md(frame_to_markdown(out.scores)),
            },
        )
    )


@dg.asset_check(
    asset="healthbench_scores",
    blocking=True,
    description="GX suite healthbench_scores: scores, coverage and bootstrap std in [0, 1].",
)
def healthbench_scores_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame: pl.DataFrame = warehouse.get().read_table("healthbench_scores")
    return suite_check_result("healthbench_scores", frame)
