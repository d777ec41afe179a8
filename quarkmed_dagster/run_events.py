"""Follow a Dagster run's events while it executes in this process (a thread polls the
instance's event log), for progress displays: ``quarkmed eval`` and the main job."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by `quarkmed eval`, whose pre-flight must stay fast
    import dagster as dg

EventHandler = Callable[[str | None, str, dict], None]


def _follow(
    instance: dg.DagsterInstance, run_id: str, done: threading.Event, on_event: EventHandler
) -> None:
    """Call ``on_event(step_key, event_type, metadata)`` for each new event of the run."""
    seen = 0
    while True:
        finished = done.is_set()
        try:
            entries = instance.all_logs(run_id)
        except Exception:  # the run's storage may not exist for the first poll
            entries = []
        for entry in entries[seen:]:
            event = entry.dagster_event
            if event is None:
                continue
            metadata = {}
            if event.is_step_materialization:
                metadata = {
                    k: v.value
                    for k, v in event.step_materialization_data.materialization.metadata.items()
                }
            # the enum's name: RUN_SUCCESS (its value is the legacy PIPELINE_SUCCESS)
            on_event(event.step_key, event.event_type.name, metadata)
        seen = len(entries)
        if finished:
            return
        done.wait(0.5)


def execute_followed(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    on_event: EventHandler | None,
    **execute: Any,
) -> dg.ExecuteInProcessResult:
    """``job.execute_in_process`` on ``instance``, its events passed to ``on_event`` as they
    are stored (all of them, before this returns)."""
    if on_event is None:
        return job.execute_in_process(instance=instance, raise_on_error=False, **execute)
    run_id = execute.pop("run_id", None) or str(uuid.uuid4())
    done = threading.Event()
    follower = threading.Thread(target=_follow, args=(instance, run_id, done, on_event))
    follower.start()
    try:
        return job.execute_in_process(
            instance=instance, raise_on_error=False, run_id=run_id, **execute
        )
    finally:
        done.set()
        follower.join()
