"""The embedded tantivy backend finds MedQuAD answers for their own questions."""

from __future__ import annotations

from quarkmed_dagster.retrieval import EmbeddedIndex, build_corpus
from quarkmed_dagster.retrieval.documents import make_document
from tests.retrieval.helpers import sample_corpus, sample_documents, sample_records


def test_medquad_questions_retrieve_their_own_answers(tmp_path) -> None:
    corpus = sample_corpus(400)
    index = EmbeddedIndex(tmp_path)
    index.build(corpus.passages, corpus.version)
    assert index.has_version(corpus.version)
    doc_of = {p.passage_id: p.doc_id for p in corpus.passages}
    records = sample_records(400)
    titles = {d.title: d.doc_id for d in corpus.documents}
    questions = [r["question"] for r in records[:100] if r["question"] in titles]
    results = index.search(questions, 10, corpus.version)
    found = sum(
        titles[q] in {doc_of[h.passage_id] for h in hits}
        for q, hits in zip(questions, results, strict=True)
    )
    assert found / len(questions) >= 0.8
    assert all(h.score > 0 for hits in results for h in hits)


def test_rebuilding_an_existing_version_is_a_no_op(tmp_path) -> None:
    corpus = sample_corpus(50)
    index = EmbeddedIndex(tmp_path)
    folder = index.build(corpus.passages, corpus.version)
    marker = (tmp_path / corpus.version / "COMPLETE").stat().st_mtime_ns
    assert index.build(corpus.passages, corpus.version) == folder
    assert (tmp_path / corpus.version / "COMPLETE").stat().st_mtime_ns == marker


def test_repeated_queries_get_identical_results_in_order(tmp_path) -> None:
    corpus = sample_corpus(80)
    index = EmbeddedIndex(tmp_path)
    index.build(corpus.passages, corpus.version)
    texts = ["kidney stones", "asthma in children", "kidney stones", "?!", "asthma in children"]
    results = index.search(texts, 4, corpus.version)
    singles = [index.search([t], 4, corpus.version)[0] for t in texts]
    assert results == singles
    assert results[0] == results[2] and results[3] == [] and results[0] != results[1]


def test_query_syntax_in_user_text_is_harmless(tmp_path) -> None:
    corpus = sample_corpus(50)
    index = EmbeddedIndex(tmp_path)
    index.build(corpus.passages, corpus.version)
    hits = index.search(['diabetes AND (NOT "insulin" OR field:x^3', "?!"], 5, corpus.version)
    assert hits[1] == []
    assert isinstance(hits[0], list)


def test_hybrid_uses_dense_vectors(tmp_path) -> None:
    # MiniLM costs ~0.2 s per 256-token passage on 2 cores: short real documents keep it fast.
    short = [
        make_document(d.title, " ".join(d.text.split()[:40]), d.url, d.source, d.license)
        for d in sample_documents(30)
    ]
    corpus = build_corpus(short)
    index = EmbeddedIndex(tmp_path, dense=True)
    index.build(corpus.passages, corpus.version)
    question = corpus.documents[3].title
    dense = index.search([question], 5, corpus.version, mode="dense")[0]
    hybrid = index.search([question], 5, corpus.version, mode="hybrid")[0]
    assert dense and dense[0].retriever == "dense"
    assert hybrid and hybrid[0].retriever == "hybrid"
    doc_of = {p.passage_id: p.doc_id for p in corpus.passages}
    assert corpus.documents[3].doc_id in {doc_of[h.passage_id] for h in hybrid}
