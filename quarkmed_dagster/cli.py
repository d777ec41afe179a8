"""The ``quarkmed`` command: run the main job and look at its results."""

from __future__ import annotations

import sys

import click

from quarkmed_dagster.settings import get_settings


def _register_sample_batches() -> list[tuple[str, str]]:
    """Register the bundled sample query files as ingest batches (partitions)."""
    from quarkmed_dagster.ingest.batches import register_sample_batches

    settings = get_settings()
    return register_sample_batches(settings)


@click.group()
def main() -> None:
    """QuarkMed: evidence-grounded, rubric-graded evaluation of medical LLMs."""


@main.command()
def run() -> None:
    """Materialize the whole DAG on the bundled sample data (embedded defaults)."""
    from quarkmed_dagster.definitions import defs
    from quarkmed_dagster.orchestration import dagster_instance, run_pipeline
    from quarkmed_dagster.warehouse import Warehouse

    settings = get_settings()
    instance = dagster_instance(settings)
    outcome = run_pipeline(defs, instance, _register_sample_batches, log=click.echo)
    warehouse = Warehouse(settings.warehouse)
    if warehouse.path.exists():
        warehouse.publish_snapshot(settings.analyst_snapshot)
    click.echo("")
    _print_leaderboard(warehouse)
    click.echo(f"\nDuckDB warehouse: {settings.warehouse}")
    click.echo(f"Analyst snapshot (read-only use): {settings.analyst_snapshot}")
    report = settings.reports_dir / "report.html"
    if report.exists():
        click.echo(f"HTML report: {report}")
    click.echo(f"Dagster runs: {', '.join(outcome.runs)} (DAGSTER_HOME={settings.dagster_home})")
    if not outcome.success:
        click.echo(f"FAILED steps: {', '.join(outcome.failed_steps)}", err=True)
        sys.exit(1)


def _print_leaderboard(warehouse) -> None:  # type: ignore[no-untyped-def]
    from quarkmed_dagster.leaderboard import leaderboard_text

    click.echo(leaderboard_text(warehouse))


@main.command()
def leaderboard() -> None:
    """Print the leaderboard from the warehouse."""
    from quarkmed_dagster.warehouse import Warehouse

    _print_leaderboard(Warehouse(get_settings().warehouse))


if __name__ == "__main__":
    main()
