"""The change flow's Dagster wiring: the corpus sensor notices new documents, declarative
automation carries the change downstream, and never past a failed blocking check."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.evidence import (
    FINGERPRINT_KEY,
    corpus_change_sensor,
    knowledge_corpus,
    passages_suite,
    query_evidence,
    query_evidence_suite,
)
from quarkmed_dagster.automation import (
    KNOWLEDGE_AUTOMATION,
    MANUAL_ASSETS,
    with_default_automation,
)
from quarkmed_dagster.definitions import build_definitions
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.retrieval.resource import RetrievalResource
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse
from tests.retrieval.helpers import insert_queries

GARBAGE = "Diabetes notes. " + "A" * 25_000  # one 25,000-character passage: fails the suite


@pytest.fixture()
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def test_every_dependent_stage_waits_for_its_upstream_blocking_checks(data_home):
    graph = build_definitions().get_repository_def().asset_graph
    automated = []
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        if key.to_user_string() in MANUAL_ASSETS:  # a user model's scores: only when asked
            assert node.automation_condition is None, key
        elif node.parent_keys and not node.partitions_def:
            assert node.automation_condition is not None, key
            assert node.automation_condition.get_label() == KNOWLEDGE_AUTOMATION.get_label(), key
            automated.append(key.to_user_string())
    assert {"query_evidence", "query_rubrics", "judge_verdicts", "query_scores"} <= set(automated)
    # the judge panel depends on it: without a condition, a refresh would never re-judge
    assert "evaluated_responses" in automated


def test_corpus_sensor_requests_one_rebuild_per_change(data_home):
    inbox = get_settings().corpus_inbox_dir
    inbox.mkdir(parents=True)
    instance = dg.DagsterInstance.ephemeral()
    first = corpus_change_sensor(dg.build_sensor_context(instance=instance))
    (inbox / "new_guideline.txt").write_text("Metformin is a first-line treatment.")
    changed = corpus_change_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert len(changed.run_requests) == 1 and changed.cursor != first.cursor
    same = corpus_change_sensor(dg.build_sensor_context(instance=instance, cursor=changed.cursor))
    assert not same.run_requests and same.skip_reason is not None


def test_corpus_sensor_first_tick_on_an_up_to_date_corpus_launches_no_run(data_home):
    """Starting the UI (the sensor's first tick, no cursor) must not rebuild a corpus built
    from the same folders; a corpus built from other folder contents is rebuilt."""
    inbox = get_settings().corpus_inbox_dir
    inbox.mkdir(parents=True)
    (inbox / "guideline.txt").write_text("Metformin is a first-line treatment.")
    instance = dg.DagsterInstance.ephemeral()
    built = corpus_change_sensor(dg.build_sensor_context(instance=instance)).cursor
    instance.report_runless_asset_event(
        dg.AssetMaterialization("knowledge_corpus", metadata={FINGERPRINT_KEY: built})
    )
    first_tick = corpus_change_sensor(dg.build_sensor_context(instance=instance))
    assert not first_tick.run_requests and first_tick.cursor == built
    (inbox / "guideline.txt").write_text("Metformin is first-line; check kidney function.")
    changed = corpus_change_sensor(dg.build_sensor_context(instance=instance))
    assert len(changed.run_requests) == 1


def _guarded_definitions(store: Warehouse, index_dir, condition=None) -> dg.Definitions:  # type: ignore[no-untyped-def]
    """Corpus and evidence stages; ``condition`` replaces the project's automation condition."""
    evidence = query_evidence
    if condition is not None:
        evidence = query_evidence.map_asset_specs(
            lambda spec: spec.replace_attributes(automation_condition=condition)
        )
    return dg.Definitions(
        assets=with_default_automation([knowledge_corpus, evidence]),
        asset_checks=[passages_suite, query_evidence_suite],
        resources={
            "warehouse": WarehouseResource(path=str(store.path)),
            "retrieval": RetrievalResource(index_dir=str(index_dir), top_k=3),
        },
    )


def _requested(defs: dg.Definitions, instance, cursor):  # type: ignore[no-untyped-def]
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    return result.get_num_requested(dg.AssetKey("query_evidence")), result.cursor


@pytest.mark.parametrize("guarded", [True, False], ids=["project-condition", "plain-eager"])
def test_automation_never_runs_evidence_past_a_failed_corpus_check(data_home, tmp_path, guarded):
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    insert_queries(store, {"q1": [{"role": "user", "content": "How is type 2 diabetes treated?"}]})
    condition = None if guarded else dg.AutomationCondition.eager()
    defs = _guarded_definitions(store, tmp_path / "index", condition)
    everything = [*defs.assets, *defs.asset_checks]  # type: ignore[misc]
    resources = defs.resources
    instance = dg.DagsterInstance.ephemeral()
    # the query batches are another stage's partitioned asset: present
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key="queries"))
    assert dg.materialize(everything, instance=instance, resources=resources).success
    _, cursor = _requested(defs, instance, None)

    inbox = get_settings().corpus_inbox_dir
    inbox.mkdir(parents=True)
    (inbox / "pasted_blob.txt").write_text(GARBAGE)
    bad = dg.materialize(everything, selection=[knowledge_corpus], instance=instance,
                         resources=resources, raise_on_error=False)  # fmt: skip
    [check] = bad.get_asset_check_evaluations()
    assert check.check_name == "passages_suite" and not check.passed
    requested, cursor = _requested(defs, instance, cursor)
    if not guarded:  # the control: without the guard, eager alone would run the next stage
        assert requested == 1
        return
    assert requested == 0
    assert _requested(defs, instance, cursor)[0] == 0  # and it keeps waiting

    (inbox / "pasted_blob.txt").write_text("Diabetes notes. Metformin is a first-line treatment.")
    good = dg.materialize(everything, selection=[knowledge_corpus], instance=instance,
                          resources=resources)  # fmt: skip
    assert all(c.passed for c in good.get_asset_check_evaluations())
    requested, cursor = _requested(defs, instance, cursor)
    assert requested == 1  # a corpus that passes its checks flows on


@pytest.mark.parametrize(
    ("severity", "follows"),
    [(dg.AssetCheckSeverity.WARN, True), (dg.AssetCheckSeverity.ERROR, False)],
    ids=["warning", "error"],
)
def test_a_warning_lets_automation_go_on_an_error_stops_it(tmp_path, severity, follows):
    """As in a run: a blocking check that fails with WARN severity does not block."""
    verdict = tmp_path / "verdict.txt"
    verdict.write_text("pass")

    @dg.asset(group_name="t")
    def evidence() -> None: ...

    @dg.asset_check(asset=evidence, blocking=True)
    def evidence_valid() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=verdict.read_text() == "pass", severity=severity)

    @dg.asset(deps=[evidence], group_name="t")
    def rubrics() -> None: ...

    defs = dg.Definitions(
        assets=with_default_automation([evidence, rubrics]), asset_checks=[evidence_valid]
    )
    instance = dg.DagsterInstance.ephemeral()
    everything = [evidence, rubrics, evidence_valid]
    assert dg.materialize(everything, instance=instance).success
    cursor = dg.evaluate_automation_conditions(defs=defs, instance=instance).cursor
    verdict.write_text("fail")
    run = dg.materialize(everything, selection=[evidence], instance=instance, raise_on_error=False)
    assert run.success == follows  # an ERROR failure of a blocking check fails the run itself
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert result.get_num_requested(dg.AssetKey("rubrics")) == int(follows)
