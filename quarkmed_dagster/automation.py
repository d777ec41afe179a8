"""Declarative automation: when knowledge or queries change, downstream stages follow.

Every unpartitioned asset that has upstream dependencies updates after its dependencies
update, but never past a failed blocking check upstream, and never while an upstream run
is still in progress. Per-query incrementality inside each asset (evidence fingerprints,
the call cache) keeps such refreshes proportional to what changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

KNOWLEDGE_AUTOMATION = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager_when_upstream_checks_pass")


def _with_condition(spec: dg.AssetSpec) -> dg.AssetSpec:
    if spec.automation_condition is not None or not spec.deps or spec.partitions_def:
        return spec
    return spec.replace_attributes(automation_condition=KNOWLEDGE_AUTOMATION)


def with_default_automation(assets: Sequence[object]) -> list[object]:
    """Give dependent, unpartitioned assets the project's automation condition."""
    mappable = [a for a in assets if isinstance(a, dg.AssetsDefinition | dg.AssetSpec)]
    others = [a for a in assets if not isinstance(a, dg.AssetsDefinition | dg.AssetSpec)]
    return [*dg.map_asset_specs(_with_condition, mappable), *others]


automation_sensor = dg.AutomationConditionSensorDefinition(
    "knowledge_refresh_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates the automation conditions: downstream stages follow upstream changes.",
)
