"""The rubric refresh and report schedules, evaluated with Dagster's schedule test context
and executed through the real gateway on the local scripted OpenAI-compatible server."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl
import pytest
import yaml

from assets import rubrics as rubric_assets
from assets.jobs import REPORT_KEYS
from assets.updates import report_schedule, rubric_refresh_schedule
from quarkmed_dagster.definitions import build_definitions
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.llm.testing_server import LocalLLMServer
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.retrieval.resource import RetrievalResource
from quarkmed_dagster.settings import get_settings
from tests.retrieval.helpers import insert_queries
from tests.rubrics.scripted_models import handler

ROLES = {
    "generators": ["openai/gen-a", "openai/gen-b"],
    "aggregators": ["openai/agg-1", "openai/agg-2"],
    "verifiers": ["openai/ver-1"],
    "rubric_writer": ["openai/writer"],
}
QUERIES = 3
MARK = re.compile(r"good (\d):|ev(\d)-")


def _seed(warehouse) -> None:  # type: ignore[no-untyped-def]
    """Three 'good' queries (the scripted models make an ok rubric), each with own evidence."""
    insert_queries(warehouse, {
        f"q{i}": [{"role": "user", "content": f"good {i}: how much ibuprofen can I take?"}]
        for i in range(QUERIES)
    })  # fmt: skip
    passages, evidence, fingerprints = [], [], []
    for i in range(QUERIES):
        for rank, text in enumerate(
            (
                "Ibuprofen 200-400 mg every 4-6 hours with food.",
                "Black stools or vomiting blood need urgent care.",
            ),
            1,
        ):
            pid = f"ev{i}-{rank}"
            passages.append(
                {
                    "passage_id": pid,
                    "corpus_version": "c1",
                    "doc_id": f"d{i}",
                    "ordinal": rank,
                    "text": f"{text} ({pid})",
                    "content_hash": pid,
                    "n_tokens": 12,
                }
            )
            evidence.append(
                {
                    "query_id": f"q{i}",
                    "corpus_version": "c1",
                    "rank": rank,
                    "passage_id": pid,
                    "score": 1.0 / rank,
                    "retriever": "bm25",
                }
            )
        fingerprints.append({"query_id": f"q{i}", "corpus_version": "c1",
                             "fingerprint": f"fp-{i}", "n_passages": 2})  # fmt: skip
    versions = [{"corpus_version": "c1", "n_documents": 3, "n_passages": 6, "backend": "test",
                 "is_current": True, "built_at": datetime(2026, 1, 1)}]  # fmt: skip
    for table, rows in (
        ("corpus_versions", versions),
        ("passages", passages),
        ("query_evidence", evidence),
        ("evidence_fingerprints", fingerprints),
    ):
        warehouse.upsert_rows(table, pl.DataFrame(rows), list(rows[0])[:2])  # fmt: skip


def _calls_by_query(requests: list[dict]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for request in requests:
        found = {int(a or b) for a, b in MARK.findall(request["messages"][-1]["content"])}
        assert len(found) == 1, found  # every rubric prompt belongs to one query
        counts[found.pop()] += 1
    return counts


@pytest.fixture()
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUARKMED_RUBRIC_REFRESH_BATCH_SIZE", "2")
    monkeypatch.setenv("QUARKMED_RUBRIC_REFRESH_MAX_AGE_DAYS", "30")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    get_settings.cache_clear()
    with LocalLLMServer(handler) as server:
        config = tmp_path / "models.yaml"
        config.write_text(yaml.safe_dump({"profiles": {"scripted": {
            "defaults": {"api_base": server.url, "json_mode": "none", "max_attempts": 1},
            "roles": ROLES,
        }}}))  # fmt: skip
        warehouse_path = tmp_path / "warehouse.duckdb"
        resources = {
            "warehouse": WarehouseResource(path=str(warehouse_path)),
            "llm": LLMGatewayResource(
                models_config=str(config), profile="scripted",
                cache_path=str(tmp_path / "calls.sqlite"), warehouse_path=str(warehouse_path),
            ),
            "retrieval": RetrievalResource(index_dir=str(tmp_path / "index")),
        }  # fmt: skip
        yield server, resources
    get_settings.cache_clear()


def _tick(resources: dict, when: datetime) -> dg.RunRequest | None:
    context = dg.build_schedule_context(
        resources={k: resources[k] for k in ("warehouse", "llm")}, scheduled_execution_time=when
    )
    data = rubric_refresh_schedule.evaluate_tick(context)
    if not data.run_requests:
        assert data.skip_message == "no stale rubrics"
        return None
    [request] = data.run_requests
    return request


def _execute(resources: dict, run_config) -> dg.ExecuteInProcessResult:  # type: ignore[no-untyped-def]
    result = dg.materialize(
        [rubric_assets.rubric_generation, rubric_assets.rubric_items_suite],
        resources=resources,
        run_config=run_config,
    )
    assert result.success
    return result


def _config(request: dg.RunRequest) -> dict:
    return request.run_config["ops"]["rubric_generation"]["config"]


def test_refresh_schedule_regenerates_outdated_then_aged_rubrics_in_bounded_batches(env):
    server, resources = env
    warehouse = resources["warehouse"].get()
    _seed(warehouse)
    # made with an older configuration: two personas where the project now asks for three
    old = {"ops": {"rubric_generation": {"config": {"personas": ["basic", "professional"]}}}}
    _execute(resources, old)
    assert _calls_by_query(server.requests).keys() == {0, 1, 2}
    now = datetime.now(UTC)

    seen = len(server.requests)
    first = _tick(resources, now)
    assert first.tags["quarkmed/refresh_reason"] == "outdated_config"
    assert (_config(first)["query_ids"], first.tags["quarkmed/refresh_remaining"]) == (
        ["q0", "q1"], "1"
    )  # fmt: skip
    assert not _config(first)["force"] and not _config(first)["fresh_calls"]
    _execute(resources, first.run_config)
    spent = _calls_by_query(server.requests[seen:])
    assert spent.keys() == {0, 1}  # the batch, and nothing else, was regenerated
    assert spent[0] == spent[1] > 0  # the third persona's answers and what depends on them

    second = _tick(resources, now)
    assert (
        _config(second)["query_ids"] == ["q2"] and second.tags["quarkmed/refresh_remaining"] == "0"
    )
    _execute(resources, second.run_config)
    assert _tick(resources, now) is None  # everything matches the current configuration

    # content older than 30 days is re-asked with fresh calls, the oldest first
    with warehouse.writer() as con:
        for query_id, days in (("q0", 40), ("q2", 50)):
            con.execute(
                "UPDATE rubric_sets SET created_at = ? WHERE query_id = ?",
                [(now - timedelta(days=days)).replace(tzinfo=None), query_id],
            )
    aged = _tick(resources, now)
    assert aged.tags["quarkmed/refresh_reason"] == "aged"
    assert (_config(aged)["force"], _config(aged)["fresh_calls"]) == (True, True)
    assert _config(aged)["query_ids"] == ["q2", "q0"]
    seen = len(server.requests)
    _execute(resources, aged.run_config)
    fresh = _calls_by_query(server.requests[seen:])
    assert fresh.keys() == {0, 2} and fresh[0] == fresh[2] > spent[0]  # every call re-asked
    assert _tick(resources, now) is None
    sets = warehouse.read("SELECT query_id, status FROM rubric_sets WHERE is_current ORDER BY 1")
    assert sets.rows() == [("q0", "ok"), ("q1", "ok"), ("q2", "ok")]


def test_report_schedule_targets_the_marts_and_the_report(env):
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 6, 1, 6))
    [request] = report_schedule.evaluate_tick(context).run_requests
    assert request.run_key is None  # one run per tick
    repository = build_definitions().get_repository_def()
    job = repository.get_job(repository.get_schedule_def("report_build_schedule").job_name)
    assert {key.to_user_string() for key in job.asset_layer.executable_asset_keys} == set(
        REPORT_KEYS
    )
    schedules = {s.name: s for s in repository.schedule_defs}
    assert schedules["rubric_refresh_schedule"].cron_schedule == "0 3 * * *"
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in schedules.values())
