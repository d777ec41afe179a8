"""The test command's Elasticsearch is a real server: it indexes and searches real documents."""

from __future__ import annotations

import gzip
import json

import pytest
from elasticsearch import Elasticsearch, helpers

pytestmark = pytest.mark.elasticsearch


def test_real_server_indexes_and_searches_medquad(elasticsearch_url: str, shared_data) -> None:
    client = Elasticsearch(elasticsearch_url, request_timeout=30)
    health = client.cluster.health(wait_for_status="yellow", timeout="30s")
    assert health["status"] in ("yellow", "green")
    docs = []
    with gzip.open(shared_data / "medquad" / "medquad.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if not line:
                continue
            record = json.loads(line)
            if record.get("answer"):
                docs.append({"question": record["question"], "answer": record["answer"]})
            if len(docs) == 300:
                break
    index = "foundation-smoke"
    client.options(ignore_status=404).indices.delete(index=index)
    client.indices.create(
        index=index,
        mappings={"properties": {"answer": {"type": "text", "analyzer": "standard"}}},
    )
    ok, errors = helpers.bulk(
        client, ({"_index": index, "_id": str(i), "_source": d} for i, d in enumerate(docs))
    )
    assert ok == 300 and not errors
    client.indices.refresh(index=index)
    target = docs[42]
    hits = client.search(index=index, query={"match": {"answer": target["question"]}}, size=10)[
        "hits"
    ]["hits"]
    assert hits, "no hits for a MedQuAD question against its own corpus"
    assert all(hit["_score"] > 0 for hit in hits)
    client.indices.delete(index=index)
