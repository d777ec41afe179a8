"""`quarkmed eval`: check the model, then run ``eval_job`` on the persistent instance (the
UI lists the run) and follow its events for a progress bar of answers generated and graded."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from quarkmed_dagster.evaluation.preflight import PreflightError, preflight
from quarkmed_dagster.evaluation.selection import read_query_ids, select_queries
from quarkmed_dagster.llm.config import load_profile
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse, load_sql

STEP_LABELS = {
    "evaluated_responses": "generating answers",
    "judge_panel": "judging (current rubrics)",
    "query_scores": "scoring",
    "model_evaluations": "recording scores",
}


@dataclass
class EvalPlan:
    model: str
    api_base: str | None
    query_ids: list[str]
    judges_profile: str
    unknown: list[str] = field(default_factory=list)

    def run_config(self, log_level: str) -> dict[str, object]:
        from quarkmed_dagster.orchestration import console_run_config

        config = {"model": self.model, "api_base": self.api_base, "query_ids": self.query_ids}
        return {**console_run_config(log_level), "ops": {"evaluated_responses": {"config": config}}}


@dataclass
class EvalOutcome:
    run_id: str
    success: bool
    failure: str | None
    comparison: pl.DataFrame


def plan_eval(
    model: str,
    api_base: str | None,
    limit: int | None,
    queries_file: Path | None,
    judges: str | None,
) -> EvalPlan:
    """Pre-flight (key, endpoint, judges' profile, a graded query set) before any work;
    ``PreflightError`` names what is missing in one line."""
    if judges:  # the judges (and every other role) come from that profile for this run
        os.environ["QUARKMED_MODEL_PROFILE"] = judges
        get_settings.cache_clear()
    settings = get_settings()
    try:
        profile = load_profile(settings.models_config, settings.model_profile)
    except KeyError as exc:
        raise PreflightError(f"--judges: {exc.args[0]}") from exc
    preflight(model, api_base, profile.key_env)
    warehouse = Warehouse(settings.warehouse)
    if not warehouse.path.exists():
        raise PreflightError(f"no warehouse at {warehouse.path}: run `quarkmed run` first")
    warehouse.ensure_schema()
    current = warehouse.read(load_sql("select_eval_query_ids"))["query_id"].to_list()
    if not current:
        raise PreflightError("no current rubrics to grade against: run `quarkmed run` first")
    wanted = read_query_ids(queries_file) if queries_file else None
    chosen, unknown = select_queries(current, wanted, limit)
    if not chosen:
        raise PreflightError(f"none of the queries in {queries_file} has a current rubric")
    return EvalPlan(model, api_base, chosen, settings.model_profile, unknown)


def run_eval(plan: EvalPlan, on_event: Callable[[str | None, str, dict], None]) -> EvalOutcome:
    from quarkmed_dagster.definitions import defs
    from quarkmed_dagster.orchestration import dagster_instance, main_job_tags
    from quarkmed_dagster.run_events import execute_followed
    from quarkmed_dagster.run_records import record_run

    settings = get_settings()
    instance = dagster_instance(settings)
    run_id = str(uuid.uuid4())
    result = execute_followed(
        defs.resolve_job_def("eval_job"),
        instance,
        on_event,
        run_config=plan.run_config(settings.run_log_level),
        run_id=run_id,
        tags={**main_job_tags(), "quarkmed/trigger": "eval", "quarkmed/model": plan.model},
    )
    failure = None if result.success else _failure_line(result)
    warehouse = Warehouse(settings.warehouse)
    record_run(warehouse, result, defs.resolve_asset_graph())
    comparison = warehouse.read(load_sql("select_eval_comparison"), [plan.model])
    return EvalOutcome(run_id, result.success, failure, comparison)


def _failure_line(result) -> str:  # type: ignore[no-untyped-def]
    """One line per failed step: its key and the first line of its error."""
    lines = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        error = event.step_failure_data.error
        message = error.message.strip().splitlines()[0] if error else "failed"
        lines.append(f"{event.step_key}: {message}")
    return "; ".join(lines) or "run failed"
