"""Elasticsearch stops in the middle of a run (while a new corpus version is being indexed,
then while evidence is being searched): the run fails with a message naming the server and
the remedy, the alias keeps serving the last complete version, the warehouse keeps its last
good state, and a rerun after the server is back completes.

The stop is a TCP proxy in front of the suite's real node going down (connections refused,
open ones cut, exactly when the request arrives): the client sees what a stopped server
shows it, and the shared node keeps serving the other tests.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import pytest
from elasticsearch import Elasticsearch

from assets.evidence import knowledge_corpus, query_evidence
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.retrieval.resource import RetrievalResource
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse
from tests.reliability.conftest import PROJECT_SAMPLE
from tests.reliability.pipeline import QUERIES, write_sample_data
from tests.reliability.tcp_proxy import TcpProxy
from tests.retrieval.helpers import insert_queries

pytestmark = pytest.mark.elasticsearch
PREFIX = "qm-reliability-es-faults"


def _materialize(store: Warehouse, proxy: TcpProxy, tmp_path: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [knowledge_corpus, query_evidence],
        resources={
            "warehouse": WarehouseResource(path=str(store.path)),
            "retrieval": RetrievalResource(
                index_dir=str(tmp_path / "unused"), es_url=proxy.url, es_index_prefix=PREFIX
            ),
        },
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _failure(result: dg.ExecuteInProcessResult) -> tuple[str, str]:
    event = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    return event.step_key or "", str(event.event_specific_data.error)


def _state(store: Warehouse, client: Elasticsearch) -> tuple:
    """What readers see: the alias target, the current version, the stored evidence."""
    return (
        sorted(client.indices.get_alias(name=PREFIX)),
        store.read("SELECT corpus_version FROM corpus_versions WHERE is_current").rows(),
        store.read("SELECT * FROM query_evidence ORDER BY ALL").rows(),
    )


@pytest.fixture()
def client(elasticsearch_url: str):
    es = Elasticsearch(elasticsearch_url, request_timeout=30)
    es.options(ignore_status=404).indices.delete(index=f"{PREFIX}-*")
    yield es
    es.options(ignore_status=404).indices.delete(index=f"{PREFIX}-*")


def test_elasticsearch_stopped_mid_run(client, elasticsearch_url, tmp_path, monkeypatch) -> None:
    sample = write_sample_data(tmp_path / "sample", PROJECT_SAMPLE)
    monkeypatch.setenv("QUARKMED_SAMPLE_DATA_DIR", str(sample))
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    store = Warehouse(tmp_path / "warehouse.duckdb")
    store.ensure_schema()
    insert_queries(store, {f"q{i}": turns for i, turns in enumerate(QUERIES)})
    target = urlparse(elasticsearch_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 9200).start()
    try:
        assert _materialize(store, proxy, tmp_path).success
        good = _state(store, client)
        first_version = good[1][0][0]
        assert good[0] == [f"{PREFIX}-{first_version}"]

        # 1. the server stops while a new corpus version is being indexed
        inbox = get_settings().corpus_inbox_dir
        inbox.mkdir(parents=True)
        (inbox / "guideline.txt").write_text("Paracetamol is an alternative to ibuprofen.")
        proxy.arm(b"/_bulk")
        failed = _materialize(store, proxy, tmp_path)
        assert not failed.success and proxy.stops == 1
        step, message = _failure(failed)
        assert step == "knowledge_corpus"
        assert proxy.url in message and "unreachable" in message
        assert "scripts/elasticsearch.sh" in message
        assert _state(store, client) == good  # alias, current version and evidence untouched

        proxy.start()  # the server is back: the rerun completes on the new version
        assert _materialize(store, proxy, tmp_path).success
        rebuilt = _state(store, client)
        second_version = rebuilt[1][0][0]
        assert second_version != first_version
        assert rebuilt[0] == [f"{PREFIX}-{second_version}"]
        passages = store.read(
            "SELECT count(*) FROM passages WHERE corpus_version = ?", [second_version]
        ).item()
        assert client.count(index=PREFIX)["count"] == passages  # complete before the swap

        # 2. the server stops while evidence is being searched
        insert_queries(store, {"q-new": [{"role": "user", "content": "Is paracetamol safe?"}]})
        proxy.arm(b"/_msearch")
        failed = _materialize(store, proxy, tmp_path)
        step, message = _failure(failed)
        assert step == "query_evidence" and proxy.stops == 2
        assert proxy.url in message and "unreachable while trying to search" in message
        assert _state(store, client) == rebuilt

        proxy.start()
        assert _materialize(store, proxy, tmp_path).success
        searched = store.read("SELECT DISTINCT query_id FROM query_evidence")["query_id"]
        assert "q-new" in searched.to_list()
        assert sorted(client.indices.get_alias(name=PREFIX)) == rebuilt[0]
    finally:
        proxy.stop()
        get_settings.cache_clear()
