"""Drive the knowledge change flow in-process, exactly as the daemon would.

With ``dagster dev`` running, ``corpus_change_sensor`` notices new or edited corpus files and
rebuilds the corpus; the automation condition sensor then carries the change downstream,
stage by stage (evidence, rubrics, judging, scores, marts). Without the daemon (benchmarks,
tests, a one-off refresh) the same definitions are driven here: evaluate the sensor,
materialize what it asks for, then evaluate the automation conditions and execute what they
request, round by round, until nothing more is requested.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import dagster as dg

CORPUS_SENSOR = "corpus_change_sensor"
TRIGGER_TAG = "quarkmed/trigger"


@dataclass
class AutomationRound:
    requested: list[str]
    run_id: str
    success: bool


@dataclass
class FlowOutcome:
    corpus_rebuilt: bool = False
    rounds: list[AutomationRound] = field(default_factory=list)
    sensor_cursor: str | None = None
    automation_cursor: object | None = None

    @property
    def success(self) -> bool:
        return all(r.success for r in self.rounds)


def materialize(
    defs: dg.Definitions, instance: dg.DagsterInstance, selection: dg.AssetSelection, trigger: str
) -> dg.ExecuteInProcessResult:
    """One in-process run of ``selection`` (with its checks) on the project's resources."""
    return dg.materialize(
        [*(defs.assets or []), *(defs.asset_checks or [])],
        selection=selection.required_multi_asset_neighbors(),
        instance=instance,
        resources=dict(defs.resources or {}),
        raise_on_error=False,
        tags={TRIGGER_TAG: trigger},
    )


def sense_corpus_change(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> tuple[bool, str | None]:
    """Evaluate the corpus sensor; rebuild the corpus when it asks. -> (rebuilt, new cursor)."""
    sensor = defs.get_sensor_def(CORPUS_SENSOR)
    result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))
    if not result.run_requests:
        return False, result.cursor
    run = materialize(defs, instance, dg.AssetSelection.assets("knowledge_corpus"), CORPUS_SENSOR)
    return run.success, result.cursor


def follow_automation(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    cursor: object | None,
    only: Collection[str] | None = None,
    max_rounds: int = 12,
    log: Callable[[str], None] = print,
) -> tuple[list[AutomationRound], object]:
    """Execute what the automation conditions request until they request nothing more.

    ``only`` limits execution to those asset keys (requests for other assets are noted in the
    log and left alone). Returns the rounds and the cursor for the next evaluation.
    """
    rounds: list[AutomationRound] = []
    for _ in range(max_rounds):
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        cursor = result.cursor
        requested = sorted(
            r.key.to_user_string()
            for r in result.results
            if isinstance(r.key, dg.AssetKey) and r.true_subset.size
        )
        skipped = [k for k in requested if only is not None and k not in only]
        if skipped:
            log(f"automation also requested (not executed here): {', '.join(skipped)}")
        todo = [k for k in requested if k not in skipped]
        if not todo:
            break
        log(f"automation round {len(rounds) + 1}: {', '.join(todo)}")
        run = materialize(defs, instance, dg.AssetSelection.assets(*todo), "automation")
        rounds.append(AutomationRound(todo, run.run_id, run.success))
    return rounds, cursor


def refresh_after_corpus_change(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    sensor_cursor: str | None,
    automation_cursor: object | None,
    only: Collection[str] | None = None,
    log: Callable[[str], None] = print,
) -> FlowOutcome:
    """The sensor tick, then automation rounds until the change has flowed through."""
    rebuilt, sensor_cursor = sense_corpus_change(defs, instance, sensor_cursor)
    outcome = FlowOutcome(corpus_rebuilt=rebuilt, sensor_cursor=sensor_cursor)
    outcome.rounds, outcome.automation_cursor = follow_automation(
        defs, instance, automation_cursor, only=only, log=log
    )
    return outcome
