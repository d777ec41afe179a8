"""The queries asset ingests a registered batch through Dagster, idempotently."""

import json
from pathlib import Path

import dagster as dg
import pytest
from pydantic import ValidationError

from assets.queries import queries, queries_quarantine_rate, queries_suite
from quarkmed_dagster.ingest.batches import PARTITIONS_NAME, register_batch
from quarkmed_dagster.ingest.pipeline import ingest_file
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.settings import Settings, get_settings
from quarkmed_dagster.warehouse import Warehouse

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "sample" / "queries"
MODELS = Path(__file__).resolve().parents[2] / "models.yaml"


def _resources(store: Warehouse) -> dict:
    return {
        "warehouse": WarehouseResource(path=str(store.path)),
        # the default offline profile: the rule baseline classifies, no gateway is built
        "llm": LLMGatewayResource(
            models_config=str(MODELS),
            profile="baseline",
            cache_path=str(store.path.parent / "no-calls.sqlite"),
        ),
    }


def _run(store: Warehouse, instance: dg.DagsterInstance, batch: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [queries, queries_suite, queries_quarantine_rate],
        partition_key=batch,
        resources=_resources(store),
        instance=instance,
    )


def test_sample_batches_ingest_with_sessions_and_reference_rubrics(tmp_path) -> None:
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    instance = dg.DagsterInstance.ephemeral()
    batches = [
        register_batch(store, SAMPLES / name)
        for name in ("healthbench_sample.jsonl", "kqa_sample.jsonl")
    ]
    instance.add_dynamic_partitions(PARTITIONS_NAME, batches)
    for batch in batches:
        result = _run(store, instance, batch)
        assert result.success
        assert all(c.passed for c in result.get_asset_check_evaluations())
    sessions = store.read(
        "SELECT count(*) FROM queries WHERE is_multi_turn AND n_turns >= 3"
    ).item()
    assert sessions == 15
    by_source = dict(
        store.read("SELECT source, count(*) FROM reference_rubrics GROUP BY 1").iter_rows()
    )
    assert by_source["healthbench"] > 300 and by_source["kqa"] > 100
    negatives = store.read("SELECT count(*) FROM reference_rubrics WHERE points < 0").item()
    assert negatives > 0  # HealthBench penalty criteria are kept with their sign
    answers = dict(
        store.read("SELECT author, count(*) FROM reference_answers GROUP BY 1").iter_rows()
    )
    assert answers == {"ideal_completion": 40, "physician": 30}
    # baseline profile: every label is the rule baseline's, with its confidence, offline
    deciders = store.read("SELECT DISTINCT category_classifier FROM queries")
    assert deciders["category_classifier"].to_list() == ["baseline-rules"]
    assert store.read("SELECT count(*) FROM queries WHERE category_confidence IS NULL").item() == 0
    assert not (tmp_path / "no-calls.sqlite").exists()  # no gateway was built
    before = {t: store.count(t) for t in ("queries", "reference_rubrics", "reference_answers")}
    assert _run(store, instance, batches[0]).success  # a rerun replaces, never duplicates
    assert {t: store.count(t) for t in before} == before


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _ingest(store: Warehouse, instance: dg.DagsterInstance, path: Path):  # type: ignore[no-untyped-def]
    batch = register_batch(store, path)
    instance.add_dynamic_partitions(PARTITIONS_NAME, [batch])
    return batch, _run(store, instance, batch)


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {c.check_name: c for c in result.get_asset_check_evaluations()}


def _run_check_only(store: Warehouse, instance: dg.DagsterInstance, batch: str):  # type: ignore[no-untyped-def]
    """The blocking suite alone on what is stored for ``batch`` (as a partitioned run)."""
    return dg.materialize(
        [queries, queries_suite],
        selection=dg.AssetSelection.checks(queries_suite),
        tags={"dagster/partition": batch},
        resources=_resources(store),
        instance=instance,
        raise_on_error=False,
    )


QUESTIONS = [
    {"id": "a", "question": "What causes migraines?"},
    {"id": "b", "question": "Is it safe to run with a cold?"},
    {"id": "c", "question": "How much sleep does a teenager need?"},
]


def test_quarantine_rate_above_threshold_warns_without_blocking(tmp_path) -> None:
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    instance = dg.DagsterInstance.ephemeral()
    path = _write_jsonl(tmp_path / "mine.jsonl", [*QUESTIONS, {"id": "d", "question": "  "}])
    _, result = _ingest(store, instance, path)
    assert result.success  # a warning does not stop the run
    checks = _checks(result)
    assert checks["queries_suite"].passed
    rate = checks["queries_quarantine_rate"]
    assert not rate.passed and rate.severity == dg.AssetCheckSeverity.WARN
    assert rate.metadata["quarantine_rate"].value == 0.25  # 1 of 4 rows, threshold 10%


@pytest.mark.parametrize(
    "bad_turns",
    [
        [{"role": "doctor", "content": "What causes migraines?"}],
        [
            {"role": "user", "content": "I get headaches."},
            {"role": "user", "content": "What causes migraines?"},
        ],
        [
            {"role": "user", "content": "What causes migraines?"},
            {"role": "assistant", "content": "Many things."},
        ],
    ],
    ids=["unknown-role", "user-twice", "ends-with-assistant"],
)
def test_blocking_suite_fails_on_bad_roles_or_turn_order(tmp_path, bad_turns: list) -> None:
    """Ingestion quarantines such rows; the suite is the gate if a stored row is wrong anyway."""
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    instance = dg.DagsterInstance.ephemeral()
    batch, result = _ingest(store, instance, _write_jsonl(tmp_path / "mine.jsonl", QUESTIONS))
    assert result.success and _checks(result)["queries_suite"].passed
    with store.writer() as con:
        con.execute("UPDATE queries SET turns = ? WHERE source_id = 'a'", [json.dumps(bad_turns)])
    failed = _run_check_only(store, instance, batch)
    assert not failed.success  # blocking: the failed check fails the run
    suite = _checks(failed)["queries_suite"]
    assert not suite.passed and suite.severity == dg.AssetCheckSeverity.ERROR
    assert "expect_column_values_to_be_in_set(roles_well_formed): 1" in (
        suite.metadata["failed_errors"].value
    )


def test_batch_of_only_duplicates_and_rejects_passes_the_suite(tmp_path) -> None:
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    instance = dg.DagsterInstance.ephemeral()
    first, _ = _ingest(store, instance, _write_jsonl(tmp_path / "first.jsonl", QUESTIONS))
    again = [{"id": "x", "question": "what causes MIGRAINES"}, QUESTIONS[1], {"id": "y"}]
    batch, result = _ingest(store, instance, _write_jsonl(tmp_path / "again.jsonl", again))
    assert result.success
    suite = _checks(result)["queries_suite"]
    assert suite.passed
    assert {k: suite.metadata[k].value for k in ("rows", "rows_read", "quarantined")} == {
        "rows": 0,
        "rows_read": 3,
        "quarantined": 1,
    }
    assert store.read("SELECT count(*) FROM queries WHERE batch_id = ?", [batch]).item() == 0
    duplicates = store.read(
        "SELECT d.method, q.batch_id FROM duplicates AS d "
        "JOIN queries AS q ON q.query_id = d.surviving_query_id WHERE d.batch_id = ?",
        [batch],
    )
    assert duplicates.rows() == [("exact", first), ("exact", first)]
    reason = store.read("SELECT reason FROM quarantine WHERE batch_id = ?", [batch]).item()
    assert "missing field" in reason
    # rows the tables do not account for fail the gate
    with store.writer() as con:
        con.execute("DELETE FROM duplicates WHERE batch_id = ?", [batch])
    unaccounted = _run_check_only(store, instance, batch)
    assert not unaccounted.success and not _checks(unaccounted)["queries_suite"].passed


@pytest.fixture()
def threshold_env(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QUARKMED_NEAR_DUPLICATE_THRESHOLD", "0.99")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_near_duplicate_threshold_setting_reaches_the_ingest(tmp_path, threshold_env) -> None:
    base = (
        "My 6 year old has had a fever of 39C for three days and a sore throat, should I take "
        "her to the doctor? She is drinking fluids and sleeping a lot."
    )
    path = _write_jsonl(
        tmp_path / "near.jsonl",
        [{"id": "1", "question": base}, {"id": "2", "question": base + " Thanks!"}],
    )
    default = ingest_file(path, "default", "generic")  # the default threshold, 0.85
    assert default.duplicates["method"].to_list() == ["near"]
    assert default.duplicates["similarity"].item() < 0.99
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    batch, result = _ingest(store, dg.DagsterInstance.ephemeral(), path)
    assert result.success
    metadata = result.asset_materializations_for_node("queries")[0].metadata
    assert metadata["near_duplicate_threshold"].value == 0.99
    assert store.read("SELECT count(*) FROM queries WHERE batch_id = ?", [batch]).item() == 2
    assert store.count("duplicates") == 0


def test_near_duplicate_threshold_must_be_a_similarity(monkeypatch) -> None:
    assert Settings().near_duplicate_threshold == 0.85
    monkeypatch.setenv("QUARKMED_NEAR_DUPLICATE_THRESHOLD", "1.5")
    with pytest.raises(ValidationError):
        Settings()
