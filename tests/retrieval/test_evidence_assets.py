"""The corpus and evidence assets materialize through Dagster on the embedded backend."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest
from elasticsearch import Elasticsearch

from assets.evidence import knowledge_corpus, passages_suite, query_evidence, query_evidence_suite
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.retrieval.resource import RetrievalResource
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse
from tests.retrieval.helpers import insert_queries

SESSIONS = {
    "q-single": [{"role": "user", "content": "What are the treatments for type 2 diabetes?"}],
    "q-session": [
        {"role": "user", "content": "My father was diagnosed with Parkinson's disease."},
        {"role": "assistant", "content": "I'm sorry to hear that. How can I help?"},
        {"role": "user", "content": "What treatments are available for him?"},
    ],
}


@pytest.fixture()
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def _materialize(
    store: Warehouse, index_dir, raise_on_error: bool = True, **retrieval: object
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [knowledge_corpus, query_evidence, passages_suite, query_evidence_suite],
        resources={
            "warehouse": WarehouseResource(path=str(store.path)),
            "retrieval": RetrievalResource(index_dir=str(index_dir), top_k=5, **retrieval),
        },
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
    )


@pytest.mark.parametrize("struct_turns", [False, True], ids=["json-turns", "struct-turns"])
def test_corpus_and_evidence_materialize_with_passing_checks(
    data_home, tmp_path, struct_turns: bool
) -> None:
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    insert_queries(store, SESSIONS, struct_turns=struct_turns)
    result = _materialize(store, tmp_path / "index")
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == {"passages_suite", "query_evidence_suite"}
    assert all(c.passed for c in checks)
    evidence = store.read("SELECT query_id, count(*) AS n FROM query_evidence GROUP BY 1")
    assert dict(evidence.iter_rows()) == {"q-single": 5, "q-session": 5}
    session_text = store.read(
        "SELECT lower(string_agg(p.text, ' ')) FROM query_evidence e "
        "JOIN passages p USING (passage_id, corpus_version) WHERE e.query_id = 'q-session'"
    ).item()
    assert "parkinson" in session_text  # the subject named only in the earlier turn
    version = store.read("SELECT corpus_version FROM corpus_versions WHERE is_current").item()
    materialization = result.asset_materializations_for_node("knowledge_corpus")[0]
    assert materialization.tags["dagster/data_version"] == version
    assert materialization.metadata["corpus_version"].value == version
    # Downstream stages read evidence text through the view: current version, rank order.
    view = store.read("SELECT * FROM query_evidence_text ORDER BY query_id, rank")
    assert view.height == 10 and view["text"].null_count() == 0
    assert set(view["corpus_version"]) == {version} and view["fingerprint"].null_count() == 0
    assert view.filter(pl.col("query_id") == "q-single")["rank"].to_list() == [1, 2, 3, 4, 5]


def test_new_document_makes_a_new_version_and_rerun_keeps_rows(data_home, tmp_path) -> None:
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    insert_queries(store, SESSIONS)
    assert _materialize(store, tmp_path / "index").success
    first = store.read("SELECT corpus_version FROM corpus_versions WHERE is_current").item()
    assert _materialize(store, tmp_path / "index").success  # same content: same version
    assert store.count("query_evidence") == 10 and store.count("corpus_versions") == 1
    inbox = data_home / "corpus_inbox"
    inbox.mkdir(parents=True)
    (inbox / "note.txt").write_text(
        "Metformin is the usual first treatment for type 2 diabetes. Treatments for type 2 "
        "diabetes also include diet, exercise and weight loss."
    )
    assert _materialize(store, tmp_path / "index").success
    second = store.read("SELECT corpus_version FROM corpus_versions WHERE is_current").item()
    assert second != first
    changed = store.read(
        "SELECT a.query_id FROM evidence_fingerprints a JOIN evidence_fingerprints b "
        "USING (query_id) WHERE a.corpus_version = ? AND b.corpus_version = ? "
        "AND a.fingerprint <> b.fingerprint",
        [first, second],
    )
    assert changed["query_id"].to_list() == ["q-single"]


@pytest.mark.elasticsearch
def test_same_assets_on_elasticsearch_agree_with_embedded(
    data_home, tmp_path, elasticsearch_url: str
) -> None:
    prefix = "qm-test-assets"
    client = Elasticsearch(elasticsearch_url)
    client.options(ignore_status=404).indices.delete(index=f"{prefix}-*")
    try:
        on_es = Warehouse(tmp_path / "es.duckdb")
        on_es.ensure_schema()
        insert_queries(on_es, SESSIONS)
        result = _materialize(
            on_es, tmp_path / "unused", es_url=elasticsearch_url, es_index_prefix=prefix
        )
        assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
        row = on_es.read("SELECT * FROM corpus_versions WHERE is_current").row(0, named=True)
        assert row["backend"] == "elasticsearch"
        assert sorted(client.indices.get_alias(name=prefix)) == [row["index_name"]]
        assert row["index_name"] == f"{prefix}-{row['corpus_version']}"
        embedded = Warehouse(tmp_path / "embedded.duckdb")
        embedded.ensure_schema()
        insert_queries(embedded, SESSIONS)
        assert _materialize(embedded, tmp_path / "index").success
        sql = "SELECT query_id, passage_id, retriever FROM query_evidence"
        es_rows, local_rows = on_es.read(sql), embedded.read(sql)
        assert set(es_rows["retriever"]) == {"elasticsearch:bm25"}
        for query_id in SESSIONS:
            a = set(es_rows.filter(pl.col("query_id") == query_id)["passage_id"])
            b = set(local_rows.filter(pl.col("query_id") == query_id)["passage_id"])
            assert len(a & b) >= 3, query_id
    finally:
        client.options(ignore_status=404).indices.delete(index=f"{prefix}-*")


def test_unreachable_elasticsearch_fails_the_asset_with_url_and_remedy(data_home, tmp_path) -> None:
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    insert_queries(store, SESSIONS)
    result = _materialize(
        store, tmp_path / "index", raise_on_error=False, es_url="http://127.0.0.1:9"
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "http://127.0.0.1:9" in message and "scripts/elasticsearch.sh" in message
    assert store.count("corpus_versions") == 0  # nothing recorded for a failed build
