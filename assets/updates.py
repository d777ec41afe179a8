"""Stage 9: dynamic knowledge updates that no event announces, on a clock.

Corpus changes are event-driven (``corpus_change_sensor`` in ``assets/evidence.py``, then the
declarative automation of ``quarkmed_dagster/automation.py`` carries evidence, rubrics,
judging, scores and marts forward). These schedules add the rest: a rubric refresh that
regenerates stale rubrics in bounded batches (``quarkmed_dagster.rubrics.staleness``), and a
periodic build of the marts and the HTML report. Judging and scoring follow a refreshed
rubric through the same automation.
"""

from datetime import UTC, datetime

import dagster as dg

from assets.jobs import report_job, rubric_refresh_job
from assets.rubrics import RubricStageConfig
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.rubrics.stage import models_from_roles
from quarkmed_dagster.rubrics.staleness import config_hash_of, refresh_batch
from quarkmed_dagster.settings import get_settings


def _tick_time(context: dg.ScheduleEvaluationContext) -> datetime:
    """The tick's time as naive UTC (the warehouse stores naive UTC timestamps)."""
    when = context.scheduled_execution_time or datetime.now(UTC)
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


@dg.schedule(
    cron_schedule=get_settings().rubric_refresh_cron,
    job=rubric_refresh_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Regenerates stale rubrics in bounded batches: first those made with an older prompt / "
        "model / parameter configuration, then those older than rubric_refresh_max_age_days "
        "(re-asked with fresh model calls). At most rubric_refresh_batch_size queries per run."
    ),
)
def rubric_refresh_schedule(
    context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource, llm: LLMGatewayResource
) -> dg.RunRequest | dg.SkipReason:
    settings = get_settings()
    models = models_from_roles(lambda role: [m.model for m in llm.role_models(role)])
    now = _tick_time(context)
    batch = refresh_batch(
        warehouse.get(),
        config_hash_of(models, RubricStageConfig().params()),
        now,
        settings.rubric_refresh_max_age_days,
        settings.rubric_refresh_batch_size,
    )
    if batch.reason is None:
        return dg.SkipReason("no stale rubrics")
    aged = batch.reason == "aged"
    config = RubricStageConfig(query_ids=batch.query_ids, force=aged, fresh_calls=aged)
    return dg.RunRequest(
        run_key=f"rubric-refresh-{now.isoformat()}-{stable_hash(batch.query_ids, 10)}",
        run_config=dg.RunConfig(ops={"rubric_generation": config}),
        tags={
            "quarkmed/trigger": "rubric_refresh_schedule",
            "quarkmed/refresh_reason": batch.reason,
            "quarkmed/refresh_queries": str(len(batch.query_ids)),
            "quarkmed/refresh_remaining": str(batch.remaining),
        },
    )


report_schedule = dg.ScheduleDefinition(
    name="report_build_schedule",
    cron_schedule=get_settings().report_cron,
    job=report_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Rebuilds the analyst marts, the analyst snapshot and the HTML report.",
)

SCHEDULES = [rubric_refresh_schedule, report_schedule]
