"""Run the whole DAG in-process on a persistent Dagster instance (the main job).

Partitioned assets (query batches) are materialized once per registered batch, then every
unpartitioned asset is materialized in dependency order in one run. Blocking checks stop
the stages downstream of a failed check, exactly as in the UI.

A main-job process that dies mid-run (kill -9, OOM, power cut) leaves its run STARTED and
its ``llm`` pool slot claimed in the instance, and the next run would wait for that slot
forever: each run is tagged with the process that runs it, and the next main job marks the
runs of dead processes failed and frees their slots first (``release_interrupted_runs``).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from quarkmed_dagster.run_events import EventHandler, execute_followed
from quarkmed_dagster.settings import PROJECT_ROOT, Settings, get_settings

INSTANCE_CONFIG = PROJECT_ROOT / "dagster_instance.yaml"


@dataclass
class PipelineOutcome:
    batches: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    success: bool = True
    failed_steps: list[str] = field(default_factory=list)


def install_instance_config(settings: Settings) -> Path:
    """Copy the project's dagster_instance.yaml into DAGSTER_HOME as dagster.yaml (pools, run
    limits, telemetry off). Not named dagster.yaml in the project root: `dagster dev` there
    would warn that a dagster.yaml in the working directory is ignored."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    target = settings.dagster_home / "dagster.yaml"
    shutil.copyfile(INSTANCE_CONFIG, target)
    return target


def dagster_instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent instance under data_home, shared with the UI command."""
    install_instance_config(settings)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    return dg.DagsterInstance.get()


PROCESS_TAG = "quarkmed/process"
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def process_identity(pid: int | None = None) -> str:
    """host:pid:start-time of a process (start time from /proc, so a reused pid differs)."""
    pid = os.getpid() if pid is None else pid
    try:
        started = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        started = ""
    return f"{socket.gethostname()}:{pid}:{started}"


def _is_dead(identity: str) -> bool:
    host, _, rest = identity.partition(":")
    pid = rest.split(":", 1)[0]
    return host == socket.gethostname() and pid.isdigit() and process_identity(int(pid)) != identity


def main_job_tags() -> dict[str, str]:
    return {"quarkmed/trigger": "main_job", PROCESS_TAG: process_identity()}


def release_interrupted_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark unfinished runs whose process is gone as failed and free their pool slots."""
    released = []
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=UNFINISHED))
    for record in records:
        run = record.dagster_run
        identity = run.tags.get(PROCESS_TAG)
        if identity is None or not _is_dead(identity):
            continue  # another live process's run, or one this job did not start
        instance.report_run_failed(run, message=f"process {identity} died during the run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def _split_assets(
    defs: dg.Definitions,
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetsDefinition], list[object]]:
    asset_defs = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    partitioned = [a for a in asset_defs if a.partitions_def is not None]
    unpartitioned = [a for a in asset_defs if a.partitions_def is None]
    return partitioned, unpartitioned, list(defs.asset_checks or [])


def _record(
    outcome: PipelineOutcome, result: dg.ExecuteInProcessResult, defs: dg.Definitions
) -> None:
    from quarkmed_dagster.run_records import record_run
    from quarkmed_dagster.warehouse import Warehouse

    outcome.runs.append(result.run_id)
    record_run(Warehouse(get_settings().warehouse), result, defs.resolve_asset_graph())
    if not result.success:
        outcome.success = False
        outcome.failed_steps.extend(
            event.step_key or "?" for event in result.all_events if event.is_step_failure
        )


def console_run_config(log_level: str) -> dict[str, object]:
    """Run config that sets the in-process console logger's level (events are stored anyway)."""
    return {"loggers": {"console": {"config": {"log_level": log_level.upper()}}}}


# Called with a job's name and step keys before it runs; returns the handler of its events.
RunFollower = Callable[[str, list[str]], EventHandler]


def run_named_job(
    name: str,
    everything: Sequence[object],
    selection: dg.AssetSelection,
    resources: dict[str, object],
    follow: RunFollower | None = None,
    **execute: object,
) -> dg.ExecuteInProcessResult:
    """``dg.materialize`` under a job name (``ingest_job``, ``benchmark_job``) instead of
    ``__ephemeral_asset_job__``, so runs in the UI say which job they were; ``follow`` gets
    the run's events as they happen (a progress display)."""
    defs = dg.Definitions(
        assets=everything,  # type: ignore[arg-type]
        jobs=[dg.define_asset_job(name, selection=selection)],
        resources=resources,
    )
    job = defs.resolve_job_def(name)
    label = " ".join(str(p) for p in (name, execute.get("partition_key")) if p)
    on_event = follow(label, [n.name for n in job.graph.nodes]) if follow else None
    instance = execute.pop("instance")
    return execute_followed(job, instance, on_event, **execute)  # type: ignore[arg-type]


def run_pipeline(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    register_batches: Callable[[], Sequence[tuple[str, str]]],
    log: Callable[[str], None] = print,
    targets: Sequence[str] | None = None,
    follow: RunFollower | None = None,
) -> PipelineOutcome:
    """Materialize every asset. ``register_batches`` returns (partitions name, key) pairs;
    ``targets`` limits the unpartitioned assets to those asset keys and their upstream;
    ``follow``: see ``run_named_job``."""
    outcome = PipelineOutcome()
    for run_id in release_interrupted_runs(instance):
        log(f"released run {run_id}: its process died before it finished")
    partitioned, unpartitioned, checks = _split_assets(defs)
    # eval_job's assets run too: without a configured model they write nothing
    downstream = dg.AssetSelection.assets(*unpartitioned)
    if targets is not None:
        upstream = dg.AssetSelection.assets(*targets).upstream()
        downstream = (downstream & upstream).required_multi_asset_neighbors()
    everything = [*partitioned, *unpartitioned, *checks]
    resources = dict(defs.resources or {})
    run_config = console_run_config(get_settings().run_log_level)
    for partitions_name, key in register_batches():
        instance.add_dynamic_partitions(partitions_name, [key])
        outcome.batches.append(key)
        if not partitioned:
            continue
        if follow is None:  # else the follower shows the run
            log(f"materializing batch {key}")
        result = run_named_job(
            "ingest_job",
            everything,
            dg.AssetSelection.assets(*partitioned),
            resources,
            follow,
            partition_key=key,
            instance=instance,
            tags=main_job_tags(),
            run_config=run_config,
        )
        _record(outcome, result, defs)
    if unpartitioned and outcome.success:
        if follow is None:
            log("materializing the downstream assets")
        result = run_named_job(
            "benchmark_job",
            everything,
            downstream,
            resources,
            follow,
            instance=instance,
            tags=main_job_tags(),
            run_config=run_config,
        )
        _record(outcome, result, defs)
    return outcome
