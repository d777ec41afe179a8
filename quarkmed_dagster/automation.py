"""Declarative automation: when knowledge or queries change, downstream stages follow.

Every unpartitioned asset that has upstream dependencies updates after its dependencies
update, but never past a blocking check upstream that failed with ERROR severity (or has
not run on the latest materialization), and never while an upstream run is still in
progress. A blocking check that failed with WARN severity does not stop a run, so it does
not stop automation either (Dagster's ``all_deps_blocking_checks_passed`` would: one warning
anywhere upstream would halt every refresh). Per-query incrementality inside each asset
(evidence fingerprints, the call cache) keeps such refreshes proportional to what changed.

The warning test reads check severities, which Dagster's built-in conditions cannot: the
automation sensor therefore evaluates on the user code server.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import dagster as dg


class FailedWithWarningOnly(dg.AutomationCondition[dg.AssetCheckKey]):
    """True for a check whose latest evaluation failed with WARN severity."""

    @property
    def name(self) -> str:
        return "failed_with_warning_only"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        if context.candidate_subset.is_empty:
            return dg.AutomationResult(context, context.get_empty_subset())
        storage = context.asset_graph_view.instance.event_log_storage
        record = storage.get_latest_asset_check_execution_by_key([context.key]).get(context.key)
        evaluation = record.evaluation if record is not None else None
        warning = (
            evaluation is not None
            and not evaluation.passed
            and evaluation.severity == dg.AssetCheckSeverity.WARN
        )
        return dg.AutomationResult(
            context, context.candidate_subset if warning else context.get_empty_subset()
        )


class PythonConditions(dg.AutomationCondition[dg.AssetKey]):
    """Evaluates its operand unchanged; marks the tree as holding Python conditions.

    Dagster decides whether a condition can be serialised from its children, and the check
    operators do not list their operand as a child: without this node the code location
    would try to serialise ``FailedWithWarningOnly`` and fail to load in the UI.
    """

    def __init__(self, operand: dg.AutomationCondition) -> None:
        self.operand = operand

    @property
    def name(self) -> str:
        return "python_conditions"

    @property
    def children(self) -> Sequence[dg.AutomationCondition]:
        return [self.operand]

    async def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        child = await context.for_child_condition(
            child_condition=self.operand,
            child_indices=[0],
            candidate_subset=context.candidate_subset,
        ).evaluate_async()
        return dg.AutomationResult(context, true_subset=child.true_subset, child_results=[child])


NO_UPSTREAM_CHECK_IN_ERROR = PythonConditions(
    dg.AutomationCondition.all_deps_match(
        dg.AutomationCondition.all_checks_match(
            dg.AutomationCondition.check_passed()
            | (dg.AutomationCondition.check_failed() & FailedWithWarningOnly())
            | dg.AutomationCondition.will_be_requested(),
            blocking_only=True,
        ).with_label("blocking_checks_passed_or_warned")
    ).with_label("no_upstream_blocking_check_in_error")
)

KNOWLEDGE_AUTOMATION = (dg.AutomationCondition.eager() & NO_UPSTREAM_CHECK_IN_ERROR).with_label(
    "eager_when_upstream_checks_pass"
)


# Assets only ever materialized on request (`quarkmed eval` / eval_job, and the main job):
# a user model's scores. evaluated_responses keeps the condition: the judge panel depends on
# it, and without a configured model it writes nothing.
MANUAL_ASSETS = frozenset({"model_evaluations"})


def _with_condition(spec: dg.AssetSpec) -> dg.AssetSpec:
    manual = spec.key.to_user_string() in MANUAL_ASSETS
    if spec.automation_condition is not None or not spec.deps or spec.partitions_def or manual:
        return spec
    return spec.replace_attributes(automation_condition=KNOWLEDGE_AUTOMATION)


def with_default_automation(assets: Sequence[object]) -> list[object]:
    """Give dependent, unpartitioned assets the project's automation condition."""
    mappable = [a for a in assets if isinstance(a, dg.AssetsDefinition | dg.AssetSpec)]
    others = [a for a in assets if not isinstance(a, dg.AssetsDefinition | dg.AssetSpec)]
    return [*dg.map_asset_specs(_with_condition, mappable), *others]


with warnings.catch_warnings():
    # use_user_code_server is marked beta; it is what lets Python conditions run at all.
    warnings.simplefilter("ignore", dg.BetaWarning)
    automation_sensor = dg.AutomationConditionSensorDefinition(
        "knowledge_refresh_automation",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        use_user_code_server=True,  # FailedWithWarningOnly is Python, not a serialisable built-in
        description=(
            "Evaluates the automation conditions: downstream stages follow upstream changes."
        ),
    )
