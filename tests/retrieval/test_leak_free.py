"""Leak-free evidence: no query's evidence contains its own reference answer.

The bundled corpus holds the K-QA physician answers and HealthBench ideal completions of the
bundled queries (``data/sample/corpus/expert_answers.jsonl``); retrieval must never hand a
query its own one, on either backend, while other queries may still cite it.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.evidence import knowledge_corpus, query_evidence, query_evidence_leak_free
from quarkmed_dagster.ingest.batches import query_files
from quarkmed_dagster.ingest.pipeline import ingest_file
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.retrieval import EmbeddedIndex, build_corpus, build_corpus_from_folders
from quarkmed_dagster.retrieval.documents import make_document
from quarkmed_dagster.retrieval.elastic import ElasticsearchIndex
from quarkmed_dagster.retrieval.evidence import retrieve_evidence
from quarkmed_dagster.retrieval.leakage import (
    excluded_passages,
    leaked_evidence,
    reference_links,
    tokens,
)
from quarkmed_dagster.retrieval.resource import RetrievalResource
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def _sample_queries() -> tuple[pl.DataFrame, pl.DataFrame]:
    queries, answers = [], []
    for path in query_files(SAMPLE / "queries"):
        result = ingest_file(path, batch_id=f"leak-{path.stem}")
        queries.append(
            result.queries.select("query_id", "turns", "final_user_turn", "is_multi_turn")
        )
        answers.append(result.reference_answers.select("query_id", "answer_text"))
    return pl.concat(queries), pl.concat(answers)


def _evidence_texts(evidence: pl.DataFrame, corpus) -> pl.DataFrame:
    passages = pl.DataFrame(
        {
            "passage_id": [p.passage_id for p in corpus.passages],
            "doc_id": [p.doc_id for p in corpus.passages],
            "text": [p.text for p in corpus.passages],
        }
    )
    return evidence.join(passages, on="passage_id")


def _own_answer_docs(corpus, answers: pl.DataFrame) -> dict[str, set[str]]:
    """Independent of the matcher: documents whose text is exactly a query's answer."""
    by_text: dict[str, set[str]] = {}
    for document in corpus.documents:
        by_text.setdefault(" ".join(tokens(document.text)), set()).add(document.doc_id)
    out: dict[str, set[str]] = {}
    for query_id, text in answers.iter_rows():
        out.setdefault(query_id, set()).update(by_text.get(" ".join(tokens(text)), set()))
    return out


def test_bundled_sample_evidence_never_holds_a_querys_own_reference(tmp_path) -> None:
    queries, answers = _sample_queries()
    corpus = build_corpus_from_folders([SAMPLE / "corpus"])
    index = EmbeddedIndex(tmp_path / "index")
    index.build(corpus.passages, corpus.version)
    hashes = {p.passage_id: p.content_hash for p in corpus.passages}
    own = _own_answer_docs(corpus, answers)
    assert sum(bool(d) for d in own.values()) >= 60  # the expert answers are in the corpus

    def own_hits(evidence: pl.DataFrame) -> int:
        texts = _evidence_texts(evidence, corpus)
        return sum(doc in own.get(q, set()) for q, doc in texts.select("query_id", "doc_id").rows())

    leaky, _ = retrieve_evidence(queries, index, corpus.version, hashes, k=8)
    assert own_hits(leaky) >= 30  # without exclusion, most queries get their gold answer
    assert leaked_evidence(_evidence_texts(leaky, corpus), answers).height >= 30

    documents = corpus.documents_frame()
    links = reference_links(documents, answers, queries["query_id"].to_list())
    passages = corpus.passages_frame()
    excluded = excluded_passages(links, passages)
    evidence, fingerprints = retrieve_evidence(
        queries, index, corpus.version, hashes, k=8, excluded=excluded
    )
    assert own_hits(evidence) == 0
    assert leaked_evidence(_evidence_texts(evidence, corpus), answers).is_empty()
    # Each query still gets the exact top-k of the passages it may cite (same order as a deep
    # search with its own references dropped), and other queries may cite an expert answer.
    deep, _ = retrieve_evidence(queries, index, corpus.version, hashes, k=400)
    for (query_id,), group in evidence.sort("rank").group_by("query_id", maintain_order=True):
        allowed = deep.filter(pl.col("query_id") == query_id).sort("rank")["passage_id"]
        expected = [p for p in allowed if p not in excluded.get(query_id, set())][:8]
        assert group["passage_id"].to_list() == expected
    counts = dict(evidence.group_by("query_id").len().rows())
    assert (
        dict(fingerprints.filter(pl.col("n_passages") > 0).select("query_id", "n_passages").rows())
        == counts
    )
    expert_docs = {d.doc_id for d in corpus.documents if d.source.startswith("expert-answers")}
    cited = set(_evidence_texts(evidence, corpus)["doc_id"])
    assert cited & expert_docs


def _tiny_corpus():
    answer = (
        "Acute bronchitis usually resolves without antibiotics within three weeks; honey, "
        "fluids and rest ease the cough, and smoking should be avoided."
    )
    documents = [
        make_document("bronchitis answer", answer, None, "expert", "MIT"),
        make_document(
            "bronchitis page",
            "Bronchitis is an inflammation of the airways. Most cases of acute bronchitis are "
            "caused by viruses and get better on their own.",
            None,
            "MedQuAD",
            "CC BY 4.0",
        ),
        make_document(
            "declared",
            "Bronchitis cough remedies: honey and warm fluids for acute bronchitis.",
            None,
            "user",
            "user-provided",
            reference_of=("q1",),
        ),
    ]
    return build_corpus(documents), answer


@pytest.mark.elasticsearch
@pytest.mark.parametrize("backend", ["embedded", "elasticsearch"])
def test_exclusion_holds_on_both_backends(backend, tmp_path, request) -> None:
    corpus, answer = _tiny_corpus()
    if backend == "embedded":
        index = EmbeddedIndex(tmp_path / "index")
    else:
        url = request.getfixturevalue("elasticsearch_url")
        index = ElasticsearchIndex(url, prefix="qm-test-leak-free")
    index.build(corpus.passages, corpus.version)
    try:
        queries = pl.DataFrame(
            {
                "query_id": ["q1", "q2"],
                "turns": ['[{"role": "user", "content": "acute bronchitis honey cough"}]'] * 2,
                "final_user_turn": ["acute bronchitis honey cough"] * 2,
                "is_multi_turn": [False, False],
            }
        )
        answers = pl.DataFrame({"query_id": ["q1"], "answer_text": [answer]})
        links = reference_links(corpus.documents_frame(), answers, ["q1", "q2"])
        assert sorted(links["reason"]) == ["content", "declared"]
        excluded = excluded_passages(links, corpus.passages_frame())
        hashes = {p.passage_id: p.content_hash for p in corpus.passages}
        evidence, _ = retrieve_evidence(
            queries, index, corpus.version, hashes, k=3, excluded=excluded
        )
        doc_of = {p.passage_id: p.doc_id for p in corpus.passages}
        docs = {
            q: {doc_of[p] for p in g["passage_id"]} for (q,), g in evidence.group_by("query_id")
        }
        page = next(d.doc_id for d in corpus.documents if d.title == "bronchitis page")
        assert docs["q1"] == {page}  # own answer and declared reference both dropped
        assert len(docs["q2"]) == 3  # another query still gets all three documents
    finally:
        if backend == "elasticsearch":
            index.client.options(ignore_status=404).indices.delete(index="qm-test-leak-free*")


def test_short_and_unrelated_references_link_nothing() -> None:
    corpus, _ = _tiny_corpus()
    answers = pl.DataFrame(
        {
            "query_id": ["q3", "q4"],
            "answer_text": ["Yes, honey.", "Migraine is a headache disorder with aura and nausea."],
        }
    )
    links = reference_links(corpus.documents_frame(), answers, ["q3", "q4"])
    assert links.is_empty()


def test_leak_check_fails_on_a_leaked_row_and_passes_on_the_pipeline(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    corpus_dir = tmp_path / "sample" / "corpus"
    corpus_dir.mkdir(parents=True)
    (corpus_dir / "expert_answers.jsonl").write_bytes(
        (SAMPLE / "corpus" / "expert_answers.jsonl").read_bytes()
    )
    monkeypatch.setenv("QUARKMED_SAMPLE_DATA_DIR", str(tmp_path / "sample"))
    get_settings.cache_clear()
    try:
        store = Warehouse(tmp_path / "w.duckdb")
        store.ensure_schema()
        kqa = next(p for p in query_files(SAMPLE / "queries") if "kqa" in p.name)
        result = ingest_file(kqa, batch_id="leak-check")
        store.upsert_rows("queries", result.queries, ["query_id"])
        store.upsert_rows("reference_answers", result.reference_answers, ["reference_answer_id"])
        resources = {
            "warehouse": WarehouseResource(path=str(store.path)),
            "retrieval": RetrievalResource(index_dir=str(tmp_path / "index"), top_k=4),
        }
        run = dg.materialize(
            [knowledge_corpus, query_evidence, query_evidence_leak_free],
            resources=resources,
            instance=dg.DagsterInstance.ephemeral(),
        )
        check = run.get_asset_check_evaluations()[0]
        assert check.passed and check.metadata["evidence_rows"].value > 0
        n_excluded = store.read("SELECT count(*) FROM evidence_exclusions").item()
        assert n_excluded >= result.reference_answers.height - 2
        # Put one query's own answer back into its evidence: the check must fail.
        leak = store.read(
            "SELECT x.query_id, x.corpus_version, p.passage_id FROM evidence_exclusions x "
            "JOIN passages p USING (doc_id, corpus_version) LIMIT 1"
        ).row(0, named=True)
        with store.writer() as con:
            con.execute(
                "INSERT INTO query_evidence VALUES (?, ?, 99, ?, 1.0, 'test')",
                [leak["query_id"], leak["corpus_version"], leak["passage_id"]],
            )
        evaluation = query_evidence_leak_free(warehouse=resources["warehouse"])
        assert not evaluation.passed and evaluation.metadata["leaked_rows"].value == 1
    finally:
        get_settings.cache_clear()


def test_a_passage_that_is_a_piece_of_the_answer_is_excluded_alone() -> None:
    from quarkmed_dagster.retrieval.leakage import exclusions

    answer = (
        "Acute bronchitis usually resolves without antibiotics within three weeks; honey, "
        "fluids and rest ease the cough, and smoking should be avoided."
    )
    passages = pl.DataFrame(
        {
            "passage_id": ["p1", "p2", "p3"],
            "doc_id": ["page", "page", "page"],
            "text": [
                answer,
                "Pneumonia is an infection of the lungs that may need antibiotics and a chest "
                "x-ray, and sometimes care in hospital for older people.",
                "Influenza vaccines are offered every autumn to people over sixty-five and to "
                "anyone with a chronic heart or lung disease.",
            ],
        }
    )
    documents = pl.DataFrame({"doc_id": ["page"], "text": [" ".join(passages["text"])]})
    # The answer goes on beyond the shared paragraph: page and answer overlap by a third.
    longer = (
        f"{answer} Cough medicines such as dextromethorphan may help at night for adults. "
        "See a doctor if a fever lasts more than three days or breathing becomes difficult."
    )
    answers = pl.DataFrame({"query_id": ["q1"], "answer_text": [longer]})
    table, excluded = exclusions(documents, passages, answers, ["q1", "q2"])
    assert excluded == {"q1": {"p1"}}  # the page as a whole is not the answer
    assert table.select("reason", "passage_id").rows() == [("passage", "p1")]
