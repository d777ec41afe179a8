"""The ``quarkmed`` command: run the main job and look at its results."""

from __future__ import annotations

import click

from quarkmed_dagster.cli_eval import eval_command
from quarkmed_dagster.cli_run import run_main_job as _run_main_job
from quarkmed_dagster.settings import get_settings

THRESHOLD_HELP = "Concordance flag: a judge whose agreement is below this is flagged."


@click.group()
@click.version_option(package_name="quarkmed-dagster", prog_name="quarkmed")
def main() -> None:
    """QuarkMed: evidence-grounded, rubric-graded evaluation of medical LLMs."""


@main.command()
def run() -> None:
    """Materialize the whole DAG on the bundled sample data and the inboxes (embedded
    defaults)."""
    _run_main_job()


def _print_leaderboard(warehouse) -> None:  # type: ignore[no-untyped-def]
    from quarkmed_dagster.leaderboard import leaderboard_text

    click.echo(leaderboard_text(warehouse))


@main.command("import-responses")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--run", "run_now", is_flag=True, help="Then run the main job to grade them.")
def import_responses(files: tuple[str, ...], run_now: bool) -> None:
    """Copy response files (JSONL / CSV / Parquet: query_id or query text, model, response)
    of models run elsewhere into the responses inbox; the next run imports and grades them."""
    _copy_into_inbox(files, get_settings().responses_inbox_dir)
    if run_now:
        _run_main_job(rerun_for_new_queries=True)
        return
    click.echo(
        "Next: `quarkmed run` imports and grades them (bad rows -> the quarantine table). "
        "Queries given only as text that match no stored query are added to the query inbox "
        "by that run and graded by the following `quarkmed run`; or use --run to do both."
    )


def _copy_into_inbox(files: tuple[str, ...], inbox) -> None:  # type: ignore[no-untyped-def]
    """Copy files into an inbox folder, saying what happened to each (added / unchanged...)."""
    from pathlib import Path

    from quarkmed_dagster.responses.inbox import copy_to_inbox

    for source in files:
        try:
            target, state = copy_to_inbox(Path(source), inbox)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{source} -> {target} ({state})")


@main.command("import-feedback")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def import_feedback(files: tuple[str, ...]) -> None:
    """Copy user feedback files (JSONL / CSV / Parquet: response_id, or query and model; rating,
    thumbs, complaint) into the feedback inbox; the next run imports them into user_feedback."""
    _copy_into_inbox(files, get_settings().feedback_inbox_dir)
    click.echo(
        "Next: `quarkmed run` imports them (bad rows and feedback on responses not stored yet "
        "-> the quarantine table, stage user_feedback) and recomputes the rewards."
    )


@main.command()
def leaderboard() -> None:
    """Print the leaderboard from the warehouse."""
    from quarkmed_dagster.warehouse import Warehouse

    _print_leaderboard(Warehouse(get_settings().warehouse))


# --- Stages 7-8: report, exports and expert audit (added by the marts/report helper) ---


def _warehouse():  # type: ignore[no-untyped-def]
    from quarkmed_dagster.warehouse import Warehouse

    warehouse = Warehouse(get_settings().warehouse)
    warehouse.ensure_schema()
    return warehouse


@main.command()
@click.option("--out", type=click.Path(), default=None,
              help="Report file. [default: reports_dir/report.html]")  # fmt: skip
def report(out: str | None) -> None:
    """Build the self-contained HTML report from the warehouse."""
    from pathlib import Path

    from quarkmed_dagster.marts.views import create_marts
    from quarkmed_dagster.report.build import write_report

    warehouse = _warehouse()
    create_marts(warehouse)
    path = write_report(warehouse, Path(out) if out else get_settings().reports_dir / "report.html")
    click.echo(f"HTML report: {path}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Directory of the pages. [default: reports_dir/samples]")  # fmt: skip
def view(out: str | None) -> None:
    """Per-sample viewer (static HTML, no network): per query the conversation, evidence with
    sources, rubric items, each model's response and every judge's verdict per item with its
    rationale and the final score; filterable by model and category."""
    from pathlib import Path

    from quarkmed_dagster.viewer.build import VIEWER_DIR, write_viewer

    reports = get_settings().reports_dir
    target = Path(out) if out else reports / VIEWER_DIR
    report = "../report.html" if target.resolve() == (reports / VIEWER_DIR).resolve() else None
    index = write_viewer(_warehouse(), target, report=report)
    click.echo(f"Sample viewer: {index.resolve().as_uri()}")


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["healthbench", "parquet"]),
    required=True,
    help="healthbench: rubrics as HealthBench JSONL; parquet: every table and mart.",
)
@click.option("--out", type=click.Path(), required=True, help="JSONL file or Parquet directory")
def export(fmt: str, out: str) -> None:
    """Export rubrics as HealthBench JSONL, or the result tables as Parquet."""
    from pathlib import Path

    from quarkmed_dagster.marts.export import export_healthbench, export_parquet, parquet_tables
    from quarkmed_dagster.marts.views import create_marts

    warehouse = _warehouse()
    create_marts(warehouse)  # the analyst marts are exported with the tables
    if fmt == "healthbench":
        n = export_healthbench(warehouse, Path(out))
        click.echo(f"{n} HealthBench-format examples -> {out}")
        return
    with _progress() as progress:
        task = progress.add_task("tables written", total=len(parquet_tables(warehouse)))
        written = export_parquet(warehouse, Path(out), lambda _: progress.advance(task))
    click.echo(f"{len(written)} tables -> {out}")


@main.command("audit-sample")
@click.option("--per-stratum", default=3, show_default=True,
              help="Rows drawn per category x tier x model stratum.")  # fmt: skip
@click.option("--name", default="audit_sample", show_default=True,
              help="Base name of the sample files.")  # fmt: skip
@click.option("--out-dir", type=click.Path(), default=None,
              help="Directory of the sample. [default: reports_dir/audit]")  # fmt: skip
@click.option("--seed", default=0, show_default=True, help="Random seed of the sample.")
def audit_sample(per_stratum: int, name: str, out_dir: str | None, seed: int) -> None:
    """Blinded stratified sample (category x tier x model) as CSV + XLSX, plus a key file."""
    from pathlib import Path

    from quarkmed_dagster.audit.sampling import (
        STRATA,
        audit_candidates,
        stratified_sample,
        write_sample,
    )

    candidates = audit_candidates(_warehouse())
    if candidates.is_empty():  # the tables exist from the schema but nothing was scored yet
        raise click.ClickException("No scored responses yet: run `quarkmed run` first.")
    sample = stratified_sample(candidates, per_stratum, seed)
    strata = sample.select(STRATA).n_unique()
    click.echo(f"stratified by {' x '.join(STRATA)}: {strata} strata, up to {per_stratum} each")
    target = Path(out_dir) if out_dir else get_settings().reports_dir / "audit"
    paths = write_sample(sample, target, name)
    click.echo(f"{sample.height} rows; clinician files: {paths['csv']}, {paths['xlsx']}")
    click.echo(f"key (keep away from clinicians): {paths['key']}")


@main.command("audit-import")
@click.argument("labels", type=click.Path(exists=True))
@click.argument("key", type=click.Path(exists=True))
@click.option("--audit-set", default="clinician_audit", show_default=True,
              help="Name the imported labels are stored under in `concordance`.")  # fmt: skip
@click.option("--threshold", default=0.7, show_default=True, help=THRESHOLD_HELP)
def audit_import(labels: str, key: str, audit_set: str, threshold: float) -> None:
    """Import clinician labels (CSV/XLSX with expert_level filled) and store concordance."""
    from pathlib import Path

    import polars as pl

    from quarkmed_dagster.audit.runner import store_concordance
    from quarkmed_dagster.audit.sampling import audit_concordance, read_labels

    key_frame = pl.read_csv(key, infer_schema_length=0)
    table = audit_concordance(read_labels(Path(labels)), key_frame, audit_set, threshold)
    store_concordance(_warehouse(), table, [audit_set])
    _echo_concordance(table)


@main.command()
@click.option("--threshold", default=0.7, show_default=True, help=THRESHOLD_HELP)
@click.option(
    "--limit",
    default=0,
    show_default=True,
    help="Only the first N K-QA rows (0 = all 399): printed, not stored, unless --store-limited.",
)
@click.option(
    "--store-limited",
    is_flag=True,
    help="With --limit: store the rows under audit "
    "sets labelled '<set>@first<N>' (the full result is never replaced).",
)
def concordance(threshold: float, limit: int, store_limited: bool) -> None:
    """Grade K-QA physician-labelled statement checks with the judge panel; store concordance
    (a --limit run is only printed unless --store-limited)."""
    from quarkmed_dagster.audit.runner import (
        KQA_SETS,
        kqa_statement_count,
        limited_set,
        run_kqa_concordance,
    )
    from quarkmed_dagster.llm.resource import LLMGatewayResource

    settings = get_settings()
    llm = LLMGatewayResource.from_settings()
    judges = [m.model for m in llm.role_models("judges")]
    total = kqa_statement_count(settings.sample_data_dir, limit or None) * len(judges)
    with _progress() as progress:
        task = progress.add_task("K-QA statements judged", total=total)
        gateway = llm.gateway("kqa_concordance")
        out = run_kqa_concordance(
            _warehouse(),
            gateway,
            settings.sample_data_dir,
            judges,
            threshold,
            limit or None,
            on_progress=lambda n: progress.advance(task, n),
            store_limited=store_limited,
        )
        gateway.flush_log()
    _echo_concordance(out)
    rows = kqa_statement_count(settings.sample_data_dir)
    if limit and limit < rows:
        sets = ", ".join(limited_set(s, limit) for s in KQA_SETS)
        click.echo(
            f"limited run: first {limit} of {rows} K-QA rows; stored under {sets}"
            if store_limited
            else f"limited run: first {limit} of {rows} K-QA rows, printed only; the stored "
            "K-QA concordance is unchanged (--store-limited stores it under labelled sets)"
        )


def _progress():  # type: ignore[no-untyped-def]
    """A rich progress bar (count, bar, elapsed, remaining) on stderr."""
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress(
        *Progress.get_default_columns(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


def _echo_concordance(table) -> None:  # type: ignore[no-untyped-def]
    """The overall concordance rows of ``table``, one line per audit set and judge."""
    import polars as pl

    from quarkmed_dagster.console import print_frame

    cols = ["audit_set", "judge_model", "n", "concordance", "kappa", "balanced_f1", "flagged"]
    print_frame(table.filter(pl.col("group_by") == "all").select(cols), "CONCORDANCE")


@main.group()
def release() -> None:
    """Benchmark releases: freeze the current queries, rubrics and corpus; re-score them later."""


@release.command("freeze")
@click.argument("name")
@click.option("--out-dir", type=click.Path(), default=None,
              help="Directory of releases. [default: data_home/releases]")  # fmt: skip
def release_freeze(name: str, out_dir: str | None) -> None:
    """Freeze the warehouse's current release tables into OUT_DIR/<release id>/ (Parquet)."""
    from pathlib import Path

    from quarkmed_dagster.releases import freeze_release

    directory = Path(out_dir) if out_dir else get_settings().releases_dir
    manifest = freeze_release(_warehouse(), name, directory)
    click.echo(
        f"release {manifest.release_id}: query set {manifest.query_set_version}, "
        f"{len(manifest.rubric_set_versions)} rubric set version(s), corpus "
        f"{', '.join(manifest.corpus_versions)} -> {directory / manifest.release_id}"
    )


def _scoring_options(command):  # type: ignore[no-untyped-def]
    """The Eq. 2 parameters as options (defaults: ScoringConfig, reasons in docs/scoring.md)."""
    options = [
        click.option("--weights", default=None,
                     help="Tier weights E:I:H:P or Tier=value pairs, e.g. "
                     "Pitfall=3,Highlight=0.5. [default: 2:1:1:2]"),
        click.option("--truncation-essential", type=float, default=None,
                     help="Zero I+H credit when Essential coverage is below this. [default: 0.5]"),
        click.option("--truncation-pitfall", type=float, default=None,
                     help="Zero I+H credit when the Pitfall penalty is above this. [default: 0.5]"),
        click.option("--saturation-tag-cap", type=float, default=None,
                     help="Cap on the weighted I+H credit of one tag. [default: 3]"),
        click.option("--saturation-ih-ratio", type=float, default=None,
                     help="Cap total I+H credit at this x Essential credit. [default: 2]"),
        click.option("--min-coverage", type=float, default=None,
                     help="Flag and leave unscored below this share of judged items. "
                     "[default: 0.5]"),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _scoring_config(options: dict):  # type: ignore[no-untyped-def]
    from quarkmed_dagster.scoring.options import parse_weights, scoring_config

    try:
        return scoring_config(
            parse_weights(options["weights"]),
            essential_ratio=options["truncation_essential"],
            pitfall_ratio=options["truncation_pitfall"],
            tag_cap=options["saturation_tag_cap"],
            ih_cap_ratio=options["saturation_ih_ratio"],
            min_coverage=options["min_coverage"],
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@main.command()
@_scoring_options
@click.option("--write", is_flag=True, help="Replace the stored query_scores and leaderboard.")
def rescore(write: bool, **options: object) -> None:
    """Re-score the warehouse's stored verdicts under other weights, truncation ratios or
    saturation caps (no model call) and print the leaderboard next to the stored one. The
    stored leaderboard is left as it is unless --write is given."""
    import time

    from quarkmed_dagster.leaderboard import rescore_comparison_text
    from quarkmed_dagster.scoring.frames import score_warehouse, store_scores
    from quarkmed_dagster.scoring.options import describe_config
    from quarkmed_dagster.warehouse import load_sql

    cfg = _scoring_config(options)
    warehouse = _warehouse()
    stored = warehouse.read(load_sql("select_leaderboard_overall"))
    start = time.perf_counter()
    scores, board = score_warehouse(warehouse, cfg)
    elapsed = time.perf_counter() - start
    if not scores.height:
        raise click.ClickException("No stored verdicts to re-score: run `quarkmed run` first.")
    click.echo(rescore_comparison_text(stored, board, describe_config(cfg)))
    click.echo(f"\n{scores.height} responses re-scored from stored verdicts in {elapsed:.2f} s")
    if write:
        store_scores(warehouse, scores, board)
        click.echo("stored query_scores and leaderboard replaced by the re-scored ones")
    else:
        click.echo("stored leaderboard unchanged (--write replaces it)")


@release.command("rescore")
@click.argument("release_dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@_scoring_options
def release_rescore(release_dirs: tuple[str, ...], **options: object) -> None:
    """Re-score frozen releases from their stored verdicts (no model call), side by side."""
    import tempfile
    from pathlib import Path

    from quarkmed_dagster.console import print_frame
    from quarkmed_dagster.releases import compare_releases

    cfg = _scoring_config(options)
    with tempfile.TemporaryDirectory() as work:
        board = compare_releases([Path(d) for d in release_dirs], Path(work), cfg=cfg)
    cols = ["release_id", "candidate_model", "category", "score", "ci_low", "ci_high"]
    print_frame(board.select(*cols, "rubric_set_version", "release_corpus_versions"),
                "RE-SCORED RELEASES from stored verdicts (no model call)")  # fmt: skip


@main.command()
@click.option(
    "--no-run",
    is_flag=True,
    help="Do not run the main job first when the warehouse has no scores yet.",
)
@click.option(
    "--skip-expertqa-pipeline",
    is_flag=True,
    help="Skip grading the ExpertQA answers with the whole pipeline (about a minute).",
)
def validate(no_run: bool, skip_expertqa_pipeline: bool) -> None:
    """Every validity figure beside its trivial baselines and the physicians' ceiling
    (K-QA, ExpertQA, HealthBench, rubric coverage); stored in `validity_metrics`."""
    from quarkmed_dagster.llm.resource import LLMGatewayResource
    from quarkmed_dagster.validity.run import run_validation, validity_statement_count
    from quarkmed_dagster.validity.show import echo_validity

    settings = get_settings()
    store = _warehouse()
    if not no_run and not store.read("SELECT 1 FROM query_scores LIMIT 1").height:
        click.echo("No scores in the warehouse yet: running the main job first.", err=True)
        _run_main_job()
    llm = LLMGatewayResource.from_settings()
    judges = [m.model for m in llm.role_models("judges")]
    total = validity_statement_count(settings.shared_data_dir) * len(judges)
    with _progress() as progress:
        task = progress.add_task("statements judged", total=total)
        gateway = llm.gateway("validate")
        figures = run_validation(
            store,
            gateway,
            judges,
            settings.shared_data_dir,
            settings.sample_data_dir,
            settings.model_profile,
            on_progress=lambda n: progress.advance(task, n),
            pipeline_dir=None
            if skip_expertqa_pipeline
            else settings.data_home / "validation" / "expertqa",
        )
        gateway.flush_log()
    echo_validity(figures)


main.add_command(eval_command)

if __name__ == "__main__":
    main()
