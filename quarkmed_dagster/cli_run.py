"""`quarkmed run`, the main job's console: a progress bar through each Dagster run (job,
steps done / total, the stage running now) and one through the live model calls of the
stage calling models (calls done / total), a line per finished stage, then the
leaderboard, how many rows were quarantined and why, and what to do next.
``QUARKMED_VERBOSE=1`` prints every step of every run (checks and ingest batches too)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quarkmed_dagster.llm.progress import listening
from quarkmed_dagster.run_progress import RunProgress
from quarkmed_dagster.settings import get_settings

if TYPE_CHECKING:
    import polars as pl

QUARANTINE_REASONS_SHOWN = 5


def quarantine_note(reasons: pl.DataFrame) -> str:
    """One paragraph from ``select_quarantine_reasons`` rows (stage, reason, n_rows)."""
    total = int(reasons["n_rows"].sum()) if reasons.height else 0
    if not total:
        return "Quarantine: no row was set aside (every imported row was valid)."
    shown = [
        f"{r['n_rows']} x {r['stage']}: {r['reason']}"
        for r in reasons.head(QUARANTINE_REASONS_SHOWN).iter_rows(named=True)
    ]
    more = reasons.height - len(shown)
    tail = f"; and {more} other reason(s)" if more > 0 else ""
    return (
        f"Quarantine: {total} imported row(s) set aside, not ingested — "
        + "; ".join(shown)
        + f"{tail}. Each row with its file and line: SELECT * FROM quarantine."
    )


def next_steps(report: Path | None, viewer: Path | None) -> list[str]:
    lines = [
        "Next:",
        "  evaluate your own model  .venv/bin/quarkmed eval --model openai/gpt-4o --limit 20"
        "  (OPENAI_API_KEY=...; --api-base URL for vLLM / Ollama / llama.cpp)",
        "  open the Dagster UI      bash scripts/ui.sh  -> http://127.0.0.1:3000",
    ]
    if report is not None:
        lines.append(f"  open the report          {report.resolve().as_uri()}")
    if viewer is not None:
        lines.append(f"  browse every sample      {viewer.resolve().as_uri()}")
    return lines


@contextmanager
def run_console(verbose: bool) -> Iterator[tuple[object, Callable[[str], None]]]:
    """``(follow, log)`` for ``run_pipeline``: a rich progress bar per run on stderr and the
    lines of finished stages (every step when ``verbose``; else the benchmark run's asset
    steps and each run's summary); ``log`` prints above the bars."""
    from quarkmed_dagster.console import progress

    with progress() as bar:

        def follow(job: str, steps: list[str]):  # type: ignore[no-untyped-def]
            tracker = RunProgress(job, steps)
            task = bar.add_task(tracker.describe(), total=tracker.total)
            detailed = verbose or not job.startswith("ingest_job")

            def on_event(step: str | None, kind: str, metadata: dict) -> None:
                line = tracker.on_event(step, kind, metadata)
                bar.update(task, completed=tracker.finished, description=tracker.describe())
                wrote = step is not None and step in tracker.rows
                failed = "FAILED" in (line or "")
                if line and (step is None or failed or (detailed and (wrote or verbose))):
                    bar.console.print(line, highlight=False, markup=False)
                if kind in ("RUN_SUCCESS", "RUN_FAILURE"):
                    bar.remove_task(task)

            return on_event

        def log(line: str) -> None:
            bar.console.print(line, highlight=False, markup=False)

        calls = bar.add_task("model calls", total=None, visible=False)

        def on_calls(stage: str, done: int, total: int) -> None:  # live calls of a stage
            bar.update(calls, description=f"model calls · {stage}", completed=done,
                       total=total, visible=done < total)  # fmt: skip

        with listening(on_calls):
            yield follow, log


def run_main_job(rerun_for_new_queries: bool = False) -> None:
    """The main job; optionally once more when it wrote new query files to the query inbox
    (queries that imported responses gave only as text), so their responses are graded."""
    from quarkmed_dagster.definitions import defs
    from quarkmed_dagster.ingest.batches import query_files
    from quarkmed_dagster.leaderboard import leaderboard_text
    from quarkmed_dagster.orchestration import dagster_instance, run_pipeline
    from quarkmed_dagster.viewer.build import VIEWER_DIR
    from quarkmed_dagster.warehouse import Warehouse, load_sql

    settings = get_settings()
    _refuse_unpriced_cost_budget()
    instance = dagster_instance(settings)
    inbox_before = set(query_files(settings.inbox_dir))
    with run_console(settings.verbose) as (follow, log):
        outcome = run_pipeline(defs, instance, register_batches, log, follow=follow)
        new_queries = set(query_files(settings.inbox_dir)) - inbox_before
        if rerun_for_new_queries and outcome.success and new_queries:
            log("new queries from imported responses: running once more to grade them")
            outcome = run_pipeline(defs, instance, register_batches, log, follow=follow)
    warehouse = Warehouse(settings.warehouse)
    if warehouse.path.exists():
        warehouse.publish_snapshot(settings.analyst_snapshot)
    click.echo("")
    click.echo(leaderboard_text(warehouse))
    if warehouse.path.exists():
        click.echo("\n" + quarantine_note(warehouse.read(load_sql("select_quarantine_reasons"))))
    click.echo(f"\nDuckDB warehouse: {settings.warehouse}")
    click.echo(f"Analyst snapshot (read-only use): {settings.analyst_snapshot}")
    report = settings.reports_dir / "report.html"
    viewer = settings.reports_dir / VIEWER_DIR / "index.html"
    if report.exists():
        click.echo(f"HTML report: {report}")
    click.echo(f"Dagster runs: {', '.join(outcome.runs)} (DAGSTER_HOME={settings.dagster_home})")
    if not outcome.success:
        click.echo(f"FAILED steps: {', '.join(outcome.failed_steps)}", err=True)
        sys.exit(1)
    click.echo("")
    click.echo(
        "\n".join(
            next_steps(report if report.exists() else None, viewer if viewer.exists() else None)
        )
    )


def register_batches() -> list[tuple[str, str]]:
    """Register the bundled sample query files and the query inbox's files as ingest batches
    (partitions); the inbox holds queries that imported responses gave only as text."""
    from quarkmed_dagster.ingest.batches import (
        PARTITIONS_NAME,
        query_files,
        register_batch,
        register_sample_batches,
    )
    from quarkmed_dagster.warehouse import Warehouse

    settings = get_settings()
    batches = register_sample_batches(settings)
    warehouse = Warehouse(settings.warehouse)
    for path in query_files(settings.inbox_dir):
        batches.append((PARTITIONS_NAME, register_batch(warehouse, path)))
    return batches


def _refuse_unpriced_cost_budget() -> None:
    """Before any run starts: a cost budget with a model litellm cannot price never stops."""
    from quarkmed_dagster.llm.budget import Budget, UnpricedModels, check_cost_budget
    from quarkmed_dagster.llm.resource import LLMGatewayResource

    llm = LLMGatewayResource.from_settings()
    try:
        check_cost_budget(Budget(max_cost_usd=llm.max_cost_usd), llm.load_profile())
    except UnpricedModels as exc:
        raise click.ClickException(str(exc)) from None
