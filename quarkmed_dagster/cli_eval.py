"""`quarkmed eval`: grade your own model with the current rubrics and judges."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("eval")
@click.option("--model", required=True,
              help="litellm model string of the model under test, e.g. openai/gpt-4o, "
                   "anthropic/claude-3-5-sonnet-latest, ollama/llama3.1.")  # fmt: skip
@click.option("--api-base", default=None,
              help="URL of an OpenAI-compatible server (vLLM, Ollama /v1, llama.cpp). "
                   "[default: the provider's own endpoint]")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the first N queries of the current query set. [default: all]")  # fmt: skip
@click.option("--queries", "queries_file", type=click.Path(exists=True, dir_okay=False),
              default=None, help="Only the query ids in this file (one per line, or JSONL / "
              "CSV / Parquet with a query_id column). [default: all]")  # fmt: skip
@click.option("--judges", default=None,
              help="models.yaml profile whose judges grade the answers. "
                   "[default: QUARKMED_MODEL_PROFILE, the judges of the leaderboard]")  # fmt: skip
def eval_command(
    model: str, api_base: str | None, limit: int | None, queries_file: str | None,
    judges: str | None,
) -> None:  # fmt: skip
    """Answer the current queries with MODEL, grade the answers with the current rubrics and
    judges (no rubric is regenerated) and show MODEL on the leaderboard beside the others.

    Runs as the Dagster job eval_job; re-running only calls the models for new queries."""
    from quarkmed_dagster.eval_run import plan_eval
    from quarkmed_dagster.evaluation.preflight import PreflightError

    try:
        plan = plan_eval(model, api_base, limit, Path(queries_file) if queries_file else None,
                         judges)  # fmt: skip
    except PreflightError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if plan.unknown:
        click.echo(f"{len(plan.unknown)} listed queries have no current rubric: skipped", err=True)
    outcome = _run_with_progress(plan)
    _show(plan, outcome)


def _run_with_progress(plan):  # type: ignore[no-untyped-def]
    from quarkmed_dagster.console import progress
    from quarkmed_dagster.eval_run import STEP_LABELS, run_eval

    n = len(plan.query_ids)
    with progress() as bar:
        generated = bar.add_task(f"{plan.model}: answers generated", total=n)
        graded = bar.add_task("answers graded", total=n)
        stage = bar.add_task("stage: starting", total=None)

        def on_event(step: str | None, kind: str, metadata: dict) -> None:
            if kind == "STEP_START" and step in STEP_LABELS:
                bar.update(stage, description=f"stage: {STEP_LABELS[step]}")
            if kind == "ASSET_MATERIALIZATION" and "generated" in metadata:
                bar.update(generated, completed=int(metadata["generated"]))
            if kind == "ASSET_MATERIALIZATION" and "scored" in metadata:
                bar.update(graded, completed=int(metadata["scored"]))

        outcome = run_eval(plan, on_event)
        bar.update(stage, description="stage: done", total=1, completed=1)
    return outcome


def _show(plan, outcome) -> None:  # type: ignore[no-untyped-def]
    from quarkmed_dagster.console import print_frame
    from quarkmed_dagster.settings import get_settings

    click.echo(f"Dagster run {outcome.run_id} (job eval_job; `scripts/ui.sh` shows it)")
    if not outcome.comparison.is_empty():
        print_frame(
            outcome.comparison,
            f"{plan.model} beside the other models on the same {len(plan.query_ids)} queries",
            headers={"candidate_model": "model", "is_baseline": "baseline",
                     "n_scored": "scored", "n_queries": "queries",
                     "same_rubrics": "same rubrics", "same_judges": "same judges"},
            highlight=("candidate_model", plan.model),
        )  # fmt: skip
    if not outcome.success:
        click.echo(f"FAILED: {outcome.failure}", err=True)
        sys.exit(1)
    report = get_settings().reports_dir / "report.html"
    click.echo(
        f"Judges: profile {plan.judges_profile}. Next: `quarkmed leaderboard` (all queries), "
        f"`quarkmed report` then open {report}, or `scripts/ui.sh` for the run in Dagster."
    )
