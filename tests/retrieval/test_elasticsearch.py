"""The same retrieval on a real Elasticsearch node: versions, alias swaps, failures."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from quarkmed_dagster.retrieval import (
    EmbeddedIndex,
    IndexBuildError,
    RetrievalBackendError,
    build_corpus,
)
from quarkmed_dagster.retrieval.documents import make_document
from quarkmed_dagster.retrieval.elastic import ElasticsearchIndex
from tests.retrieval.helpers import sample_corpus, sample_documents

pytestmark = pytest.mark.elasticsearch


@pytest.fixture()
def es_index(elasticsearch_url: str, request):
    prefix = f"qm-test-{request.node.name.replace('_', '-')[:40]}"
    backend = ElasticsearchIndex(elasticsearch_url, prefix=prefix, keep_versions=2)
    yield backend
    backend.client.options(ignore_status=404).indices.delete(index=f"{prefix}-*")


def _alias_target(backend: ElasticsearchIndex) -> list[str]:
    return sorted(backend.client.indices.get_alias(name=backend.alias))


def test_indexes_and_searches_real_passages(es_index: ElasticsearchIndex) -> None:
    corpus = sample_corpus(300)
    es_index.build(corpus.passages, corpus.version)
    assert es_index.current_version() == corpus.version
    assert es_index.client.count(index=es_index.alias)["count"] == len(corpus.passages)
    questions = [d.title for d in corpus.documents[:40]]
    results = es_index.search(questions, 10, corpus.version)
    doc_of = {p.passage_id: p.doc_id for p in corpus.passages}
    found = sum(
        d.doc_id in {doc_of[h.passage_id] for h in hits}
        for d, hits in zip(corpus.documents[:40], results, strict=True)
    )
    assert found >= 32
    # A query with no match in the middle of a batch keeps results aligned with queries.
    batch = es_index.search(["diabetes", "zzqxv wqxzz", "asthma"], 5, corpus.version)
    assert batch[1] == [] and batch[0] and batch[2]
    text_of = {p.passage_id: p.text.lower() for p in corpus.passages}
    assert "diabetes" in text_of[batch[0][0].passage_id]
    assert "asthma" in text_of[batch[2][0].passage_id]


def test_es_and_embedded_bm25_agree(es_index: ElasticsearchIndex, tmp_path) -> None:
    corpus = sample_corpus(300)
    es_index.build(corpus.passages, corpus.version)
    embedded = EmbeddedIndex(tmp_path)
    embedded.build(corpus.passages, corpus.version)
    questions = [
        "What are the symptoms of high blood pressure?",
        "How is kidney disease treated?",
        "Is this genetic condition inherited?",
        "What causes anemia in older adults?",
        "Treatment options for lung cancer",
        *[d.title for d in corpus.documents[100:125]],
    ]
    es_hits = es_index.search(questions, 5, corpus.version)
    local_hits = embedded.search(questions, 5, corpus.version)
    overlaps = [
        len({h.passage_id for h in a} & {h.passage_id for h in b}) / 5
        for a, b in zip(es_hits, local_hits, strict=True)
    ]
    assert sum(overlaps) / len(overlaps) >= 0.8
    top1 = sum(a[0].passage_id == b[0].passage_id for a, b in zip(es_hits, local_hits, strict=True))
    assert top1 / len(questions) >= 0.7


def test_new_version_switches_alias_and_old_ones_are_pruned(es_index: ElasticsearchIndex) -> None:
    documents = sample_documents(60)
    versions = []
    for extra in range(3):
        added = make_document(f"Added {extra}", f"A new guideline number {extra}.", None, "t", "x")
        corpus = build_corpus([*documents, added])
        es_index.build(corpus.passages, corpus.version)
        versions.append(corpus.version)
        assert _alias_target(es_index) == [es_index.index_name(corpus.version)]
    remaining = sorted(es_index.client.indices.get(index=f"{es_index.prefix}-*"))
    assert remaining == sorted(es_index.index_name(v) for v in versions[-2:])
    hits = es_index.search(["new guideline number 2"], 3, versions[-1])[0]
    texts = {p.passage_id: p.text for p in corpus.passages}
    assert "guideline number 2" in texts[hits[0].passage_id]


def test_failed_build_leaves_alias_untouched(es_index: ElasticsearchIndex) -> None:
    good = sample_corpus(40)
    es_index.build(good.passages, good.version)
    bad = build_corpus(sample_documents(45))
    # A mapping conflict injected into the new index makes every bulk item fail.
    original_mappings = es_index._mappings

    def conflicting_mappings() -> dict:
        mappings = original_mappings()
        mappings["properties"]["text"] = {"type": "long"}
        return mappings

    es_index._mappings = conflicting_mappings  # type: ignore[method-assign]
    with pytest.raises(IndexBuildError, match="could not be indexed"):
        es_index.build(bad.passages, bad.version)
    assert es_index.current_version() == good.version
    assert not es_index.has_version(bad.version)
    assert not es_index.client.indices.exists(index=es_index.index_name(bad.version))
    # The old version still serves searches through the alias.
    hits = es_index.search([good.documents[0].title], 3, good.version)[0]
    assert hits and es_index.client.count(index=es_index.alias)["count"] == len(good.passages)


def test_unreachable_server_names_url_and_remedy() -> None:
    backend = ElasticsearchIndex(
        "http://127.0.0.1:9",
        client=Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0),
    )
    with pytest.raises(RetrievalBackendError) as failure:
        backend.build(sample_corpus(5).passages, "v")
    message = str(failure.value)
    assert "http://127.0.0.1:9" in message and "scripts/elasticsearch.sh" in message


def test_dense_knn_and_hybrid_match_the_embedded_backend(elasticsearch_url: str, tmp_path) -> None:
    # Short real documents keep MiniLM fast; both backends embed the same passages.
    short = [
        make_document(d.title, " ".join(d.text.split()[:40]), d.url, d.source, d.license)
        for d in sample_documents(30)
    ]
    corpus = build_corpus(short)
    backend = ElasticsearchIndex(elasticsearch_url, prefix="qm-test-dense", dense=True)
    try:
        backend.build(corpus.passages, corpus.version)
        embedded = EmbeddedIndex(tmp_path, dense=True)
        embedded.build(corpus.passages, corpus.version)
        questions = [d.title for d in corpus.documents[:8]]
        es_dense = backend.search(questions, 3, corpus.version, mode="dense")
        local_dense = embedded.search(questions, 3, corpus.version, mode="dense")
        for a, b in zip(es_dense, local_dense, strict=True):
            assert a[0].passage_id == b[0].passage_id and a[0].retriever == "dense"
        hybrid = backend.search(questions, 3, corpus.version, mode="hybrid")
        doc_of = {p.passage_id: p.doc_id for p in corpus.passages}
        found = sum(
            d.doc_id in {doc_of[h.passage_id] for h in hits}
            for d, hits in zip(corpus.documents[:8], hybrid, strict=True)
        )
        assert found >= 7 and all(h.retriever == "hybrid" for hits in hybrid for h in hits)
    finally:
        backend.client.options(ignore_status=404).indices.delete(index="qm-test-dense-*")
