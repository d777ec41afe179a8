"""The queries asset ingests a registered batch through Dagster, idempotently."""

from pathlib import Path

import dagster as dg

from assets.queries import queries, queries_quarantine_rate, queries_suite
from quarkmed_dagster.ingest.batches import PARTITIONS_NAME, register_batch
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.warehouse import Warehouse

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "sample" / "queries"
MODELS = Path(__file__).resolve().parents[2] / "models.yaml"


def _run(store: Warehouse, instance: dg.DagsterInstance, batch: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [queries, queries_suite, queries_quarantine_rate],
        partition_key=batch,
        resources={
            "warehouse": WarehouseResource(path=str(store.path)),
            # the default offline profile: the rule baseline classifies, no gateway is built
            "llm": LLMGatewayResource(
                models_config=str(MODELS),
                profile="baseline",
                cache_path=str(store.path.parent / "no-calls.sqlite"),
            ),
        },
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
