"""Proof by test: a ~1% corpus change flows through the real definitions on its own (corpus
sensor, then declarative automation) and redoes exactly what depends on it, under both
refresh policies (``regenerate``: every query whose evidence changed is regenerated;
``reverify``: its rubric is re-checked in one batched call per verifier and regenerated
only when it no longer holds).

Real parts: MedQuAD documents, the embedded index, the offline baseline models through the
gateway (litellm, call cache, call log) and a DuckDB file. Model calls are counted in the
call log: a row with status ``ok`` is a call actually made, ``cached`` is a cache hit.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import dagster as dg
import polars as pl
import pytest

from quarkmed_dagster.change_flow import materialize, refresh_after_corpus_change
from quarkmed_dagster.definitions import build_definitions
from quarkmed_dagster.ingest.batches import register_sample_batches
from quarkmed_dagster.judging.run import judged_items
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.orchestration import run_pipeline
from quarkmed_dagster.rubrics.stage import models_from_roles, run_rubric_stage
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse
from tests.updates.knowledge import (
    change_chain,
    change_share,
    changed_fingerprints,
    live_calls,
    medquad_records,
    passage_turnover,
    write_corpus,
    write_queries,
)

N_DOCUMENTS = 100
N_QUERIES = 12


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(params=["regenerate", "reverify"])
def project(request, tmp_path, monkeypatch):
    monkeypatch.setenv("QUARKMED_RUBRIC_REFRESH_POLICY", request.param)
    sample = tmp_path / "sample"
    records = medquad_records(N_DOCUMENTS)
    write_corpus(sample, records)
    write_queries(sample, records, N_QUERIES)
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUARKMED_SAMPLE_DATA_DIR", str(sample))
    monkeypatch.setenv("QUARKMED_MODEL_PROFILE", "baseline")
    for name in ("QUARKMED_WAREHOUSE_PATH", "QUARKMED_ES_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield records, sample
    get_settings.cache_clear()


def _calls(store: Warehouse, since: datetime) -> dict[str, int]:
    frame = live_calls(store, since)
    return dict(zip(frame["run_label"], frame["calls"], strict=True))


def _regenerated(store: Warehouse, corpus_version: str) -> set[str]:
    frame = store.read(
        "SELECT query_id FROM rubric_sets WHERE corpus_version = ? AND carried_from IS NULL",
        [corpus_version],
    )
    return set(frame["query_id"].to_list())


def _with_status(store: Warehouse, corpus_version: str, status: str) -> set[str]:
    frame = store.read(
        "SELECT query_id FROM rubric_sets WHERE corpus_version = ? AND status = ?",
        [corpus_version, status],
    )
    return set(frame["query_id"].to_list())


def _reverify_calls(store: Warehouse, since: datetime) -> int:
    return int(
        store.read(
            "SELECT count(*) AS n FROM llm_calls WHERE status = 'ok' AND created_at >= ? "
            "AND prompt_version LIKE 'rubric_reverify@%'",
            [since],
        )["n"][0]
    )


def _scratch_cost(store: Warehouse, query_ids: list[str], tmp_path) -> int:  # type: ignore[no-untyped-def]
    """Calls to generate these queries' rubrics from nothing (copy of the warehouse, empty
    cache): what the refresh may spend at most on them."""
    copy = Warehouse(tmp_path / "scratch.duckdb")
    shutil.copyfile(store.path, copy.path)
    with copy.writer() as con:
        con.execute("DELETE FROM rubric_sets WHERE query_id IN (SELECT unnest(?))", [query_ids])
    settings = get_settings()
    llm = LLMGatewayResource(
        models_config=str(settings.models_config),
        profile=settings.model_profile,
        cache_path=str(tmp_path / "scratch-cache.sqlite"),
    )
    gateway = llm.gateway("scratch")
    models = models_from_roles(lambda role: [m.model for m in llm.role_models(role)])
    from assets.rubrics import RubricStageConfig
    from quarkmed_dagster.embeddings import get_embedder

    run_rubric_stage(
        copy, gateway, models, RubricStageConfig().params(), get_embedder().encode,
        log=lambda _: None, query_ids=query_ids,
    )  # fmt: skip
    return CallCache(tmp_path / "scratch-cache.sqlite").count()


def _judged_keys(store: Warehouse, query_id: str, version: str | None) -> set[str]:
    """Content keys the judges saw for a query's usable rubric set (none: empty)."""
    if version is None:
        return set()
    rows = store.read(
        "SELECT item_id, query_id, tier, title, description, levels FROM rubric_items "
        "WHERE query_id = ? AND rubric_set_version = ?",
        [query_id, version],
    ).to_dicts()
    return {item["item_id"] for item in judged_items(rows)}


def _responses_with_new_rubric_content(store: Warehouse, affected: set[str]) -> int:
    """Answered responses of affected queries whose usable rubric now reads differently."""
    sets = store.read(
        "SELECT query_id, rubric_set_version, is_current, created_at FROM rubric_sets "
        "WHERE status IN ('ok', 'carried', 'reverified') ORDER BY created_at"
    )
    changed = []
    for query_id in sorted(affected):
        usable = sets.filter(pl.col("query_id") == query_id)
        current = usable.filter(pl.col("is_current"))["rubric_set_version"].to_list()
        before = usable.filter(~pl.col("is_current"))["rubric_set_version"].to_list()
        if current and _judged_keys(store, query_id, current[0]) != _judged_keys(
            store, query_id, before[-1] if before else None
        ):
            changed.append(query_id)
    return int(
        store.read(
            "SELECT count(*) AS n FROM candidate_responses "
            "WHERE response_text IS NOT NULL AND query_id IN (SELECT unnest(?))",
            [changed],
        )["n"][0]
    )


def test_one_percent_corpus_change_redoes_only_what_depends_on_it(project, tmp_path):
    records, sample = project
    settings = get_settings()
    defs = build_definitions()
    chain = change_chain(defs)
    instance = dg.DagsterInstance.ephemeral()
    built = run_pipeline(
        defs, instance, lambda: register_sample_batches(settings), log=lambda _: None,
        targets=["query_scores"],
    )  # fmt: skip
    assert built.success, built.failed_steps
    store = Warehouse(settings.warehouse)
    n_queries = store.count("queries")
    assert n_queries >= N_QUERIES - 2  # a near duplicate may be dropped, never silently
    initial = _calls(store, datetime(2000, 1, 1))
    assert initial["rubrics"] > 0 and initial["judge_panel"] > 0
    # what the daemon has seen so far: the sensor's and the automation's cursors
    sensor = defs.get_sensor_def("corpus_change_sensor")
    sensor_cursor = sensor.evaluate_tick(dg.build_sensor_context(instance=instance)).cursor
    automation_cursor = dg.evaluate_automation_conditions(defs=defs, instance=instance).cursor

    # ~1% of the passages change: documents behind some queries' best evidence are revised
    change = change_share(records, store, share=0.01, from_evidence=True)
    write_corpus(sample, change.records)
    started = _now()
    flow = refresh_after_corpus_change(
        defs, instance, sensor_cursor, automation_cursor, only=chain, log=lambda _: None
    )
    assert flow.corpus_rebuilt and flow.success
    # one automation tick requests the whole chain; the run executes it in dependency order
    assert [set(round_.requested) for round_ in flow.rounds] == [set(chain)]
    gone, total = passage_turnover(store)
    assert 0.01 <= gone / total <= 0.02
    affected = changed_fingerprints(store)
    assert 1 <= len(affected) < n_queries

    # exactly the queries whose evidence changed were redone (regenerated, or re-checked and
    # kept); the rest were carried or stayed with the clinicians (review), all without calls
    policy = settings.rubric_refresh_policy
    current = store.read("SELECT corpus_version FROM corpus_versions WHERE is_current").item()
    regenerated = _regenerated(store, current)
    reverified = _with_status(store, current, "reverified")
    assert regenerated | reverified == affected and not regenerated & reverified
    usable_before = {  # affected queries that had a usable rubric to re-check
        q for q in affected
        if store.read(
            "SELECT count(*) AS n FROM rubric_sets WHERE query_id = ? AND NOT is_current "
            "AND status IN ('ok', 'carried', 'reverified')", [q],
        )["n"][0]
    }  # fmt: skip
    if policy == "regenerate":
        assert not reverified and _reverify_calls(store, started) == 0
    else:  # one batched call per verifier and re-checked query, none for the others
        verifiers = len(defs.resources["llm"].role_models("verifiers"))
        assert _reverify_calls(store, started) == len(usable_before) * verifiers
        assert reverified and reverified <= usable_before
    carried = _with_status(store, current, "carried")
    assert not carried & affected and carried

    # calls: rubrics for the affected queries only (at most what generating them from
    # nothing costs), judging only for their responses, no candidate call at all
    refresh = _calls(store, started)
    judges = len(defs.resources["llm"].role_models("judges"))
    assert 0 < refresh["rubrics"] <= _scratch_cost(store, sorted(affected), tmp_path)
    rejudged = _responses_with_new_rubric_content(store, affected)
    if policy == "regenerate":  # the revision changed some judged rubric
        assert rejudged > 0
    # the responses of rubrics that now read differently, and only those, are judged again
    # (a reverified rubric reads the same: its verdicts are cache hits)
    assert refresh.get("judge_panel", 0) == rejudged * judges
    assert "candidate_responses" not in refresh
    share = sum(refresh.values()) / sum(initial.values())
    assert share <= 2 * len(affected) / n_queries
    scored = store.read(
        "SELECT count(*) AS n FROM query_scores s JOIN rubric_sets r "
        "ON r.query_id = s.query_id AND r.rubric_set_version = s.rubric_set_version "
        "WHERE r.is_current AND r.corpus_version = ?",
        [current],
    )
    assert scored["n"][0] > 0  # scores name the new corpus version

    # nothing changed: the sensor stays quiet, and a forced rebuild flows through every
    # stage again without a single model call
    cache = CallCache(settings.cache_dir / "llm_calls.sqlite").count()
    quiet = _now()
    idle = refresh_after_corpus_change(
        defs, instance, flow.sensor_cursor, flow.automation_cursor, only=chain,
        log=lambda _: None,
    )  # fmt: skip
    assert not idle.corpus_rebuilt and idle.rounds == []
    assert materialize(
        defs, instance, dg.AssetSelection.assets("knowledge_corpus"), "manual"
    ).success
    flow_again = refresh_after_corpus_change(
        defs, instance, idle.sensor_cursor, idle.automation_cursor, only=chain,
        log=lambda _: None,
    )  # fmt: skip
    assert len(flow_again.rounds) == 1 and flow_again.success
    assert _calls(store, quiet) == {}
    assert CallCache(settings.cache_dir / "llm_calls.sqlite").count() == cache
