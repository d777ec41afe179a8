"""`quarkmed eval`: one user model answers the current query set and is graded with the
current rubrics and judges (no rubric is regenerated), then joins the leaderboard.

``eval_job`` = the user model's answers, the judge panel, the scores and leaderboard, and
``model_evaluations`` (every score of the model with its rubric set and judge versions).
Judging and scoring read the call cache, so a re-run only calls the models for new queries.
In the main job both eval assets find no model configured and do nothing.
"""

import dagster as dg
import polars as pl
from pydantic import Field

from assets.judging import CODE_VERSION as JUDGING_VERSION
from quarkmed_dagster.evaluation.preflight import PreflightError, preflight, public_url
from quarkmed_dagster.evaluation.selection import select_queries
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.responses.generate import generate_responses
from quarkmed_dagster.warehouse import Warehouse, load_sql

GROUP = "evaluation"


class EvalConfig(dg.Config):
    """The model under test (a litellm model string) and which queries it answers."""

    model: str = Field(default="", description="litellm model, e.g. openai/gpt-4o; empty: skip.")
    api_base: str | None = Field(default=None, description="OpenAI-compatible server URL.")
    query_ids: list[str] = Field(default=[], description="Only these queries (empty: all).")
    limit: int | None = Field(default=None, ge=1, description="Only the first N queries.")
    concurrency: int = Field(default=8, ge=1, description="Parallel calls to the model.")
    timeout_s: float = Field(default=120.0, gt=0, description="Per-call timeout.")
    max_attempts: int = Field(default=3, ge=1, description="Attempts per call (incl. first).")
    json_mode: str = Field(
        default="none", description="auto | json_schema | json_object | none (prompt-only)."
    )


def _spec(key: str, deps: list[str], description: str) -> dict:
    return {
        "key": key,
        "deps": deps,
        "group_name": GROUP,
        "kinds": {"duckdb", "python"},
        "owners": ["team:quarkmed"],
        "code_version": "v1",
        "description": description,
    }


@dg.asset(
    **_spec(
        "evaluated_responses",
        ["queries", "query_rubrics"],
        "The user model's answers (eval_job run config `model`) to the current query set, "
        "written to candidate_responses; the request is recorded in eval_requests.",
    ),
    pool="llm",
)
def evaluated_responses(
    context: dg.AssetExecutionContext,
    config: EvalConfig,
    warehouse: WarehouseResource,
    llm: LLMGatewayResource,
) -> dg.MaterializeResult:
    wh = warehouse.get()
    if not config.model:
        return dg.MaterializeResult(metadata=_not_an_eval_run(wh, "eval_requests"))
    profile = llm.load_profile()
    try:
        preflight(config.model, config.api_base, profile.key_env)
    except PreflightError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    current = wh.read(load_sql("select_eval_query_ids"))["query_id"].to_list()
    chosen, unknown = select_queries(current, config.query_ids or None, config.limit)
    if unknown:
        context.log.warning(f"{len(unknown)} requested queries have no current rubric: skipped")
    queries = wh.read_table("queries").filter(pl.col("query_id").is_in(chosen))
    deployment = profile.with_deployment(
        config.model,
        api_base=config.api_base,
        concurrency=config.concurrency,
        timeout_s=config.timeout_s,
        max_attempts=config.max_attempts,
        json_mode=config.json_mode,
        params={},
    )
    gateway = llm.gateway("evaluated_responses", profile=deployment)
    frame = generate_responses(gateway, queries, {}, [config.model])
    if frame.height:
        wh.upsert_rows("candidate_responses", frame, ["response_id"])
    answered = int((frame["status"] == "ok").sum()) if frame.height else 0
    context.log.info(f"eval progress: generated {answered}/{len(chosen)}")
    wh.upsert_rows("eval_requests", _request_row(context.run_id, config, llm, chosen, answered),
                   ["run_id"])  # fmt: skip
    return dg.MaterializeResult(
        metadata=table_metadata(
            wh,
            "candidate_responses",
            {
                "model": config.model,
                "dagster/row_count": frame.height,
                "generated": answered,
                "failed": frame.height - answered,
                "unknown_query_ids": len(unknown),
            },
        )
    )


def _not_an_eval_run(wh: Warehouse, table: str) -> dict:
    """Metadata of a run without a user model (main job, automation): nothing was written."""
    return table_metadata(wh, table, {"model": "none (not an eval run)", "dagster/row_count": 0})


def _request_row(
    run_id: str, config: EvalConfig, llm: LLMGatewayResource, chosen: list[str], answered: int
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "run_id": [run_id],
            "candidate_model": [config.model],
            "api_base": [public_url(config.api_base)],
            "judges_profile": [llm.profile],
            "n_queries": [len(chosen)],
            "n_answered": [answered],
        },
        schema={"run_id": pl.String, "candidate_model": pl.String, "api_base": pl.String,
                "judges_profile": pl.String, "n_queries": pl.Int32, "n_answered": pl.Int32},
    )  # fmt: skip


@dg.asset(
    **_spec(
        "model_evaluations",
        ["leaderboard", "evaluated_responses"],
        "Every score of the model evaluated in this run with the rubric set version, corpus "
        "version, the judges who graded it and the judging prompt version.",
    )
)
def model_evaluations(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    request = wh.read(load_sql("select_eval_request"), [context.run_id])
    if request.is_empty():
        return dg.MaterializeResult(metadata=_not_an_eval_run(wh, "model_evaluations"))
    model = request["candidate_model"][0]
    scores = wh.read(load_sql("select_eval_model_scores"), [model]).with_columns(
        run_id=pl.lit(context.run_id), judging_version=pl.lit(JUDGING_VERSION)
    )
    wh.replace_rows("model_evaluations", scores, ["run_id"], [context.run_id])
    context.log.info(f"eval progress: graded {int(scores['score'].is_not_null().sum())}")
    comparison = wh.read(load_sql("select_eval_comparison"), [model])
    return dg.MaterializeResult(
        metadata=table_metadata(
            wh,
            "model_evaluations",
            {
                "model": model,
                "dagster/row_count": scores.height,
                "scored": int(scores["score"].is_not_null().sum()),
                "comparison": dg.MetadataValue.md(frame_to_markdown(comparison)),
            },
        )
    )


eval_job = dg.define_asset_job(
    "eval_job",
    selection=dg.AssetSelection.assets(
        "evaluated_responses",
        "judge_verdicts",
        "item_verdicts",
        "query_scores",
        "leaderboard",
        "model_evaluations",
    ),
    description="Grade one user model (run config: evaluated_responses.config.model) with "
    "the current rubrics and judges and add it to the leaderboard (`quarkmed eval`).",
    tags={"quarkmed/trigger": "eval"},
)
JOBS = [eval_job]
