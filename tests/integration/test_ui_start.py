"""Starting the UI (`scripts/ui.sh`, daemon on) on the main job's up-to-date instance: the
first automation tick (no cursor, as the daemon starts) requests no run."""

from __future__ import annotations

import dagster as dg

from quarkmed_dagster.definitions import defs


def test_first_automation_tick_after_the_main_job_requests_nothing(main_job):
    instance = dg.DagsterInstance.from_config(str(main_job.dagster_home))
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert result.total_requested == 0
