"""Retrieval benchmark: full MedQuAD answer set, top-10 for 24,674 queries, quality figures.

Targets (2 cores): embedded < 60 s, Elasticsearch < 120 s for indexing + retrieval.
Quality: MedQuAD questions whose own answer document is the relevant one -> recall@10, MRR.
Dense and hybrid are measured on a subset (MiniLM int8 costs ~0.1-0.2 s per passage here).

    .venv/bin/python benchmarks/bench_retrieval.py [--es] [--dense-docs 500]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from quarkmed_dagster.retrieval import EmbeddedIndex, build_corpus
from quarkmed_dagster.retrieval.documents import medquad_documents, read_jsonl
from quarkmed_dagster.retrieval.formulation import expand_terms

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
N_QUERIES = 24_674


def load_medquad():  # type: ignore[no-untyped-def]
    records = [r for r in read_jsonl(SHARED / "medquad" / "medquad.jsonl.gz") if r.get("answer")]
    documents = list(medquad_documents(iter(records)))
    return records, documents


def other_questions() -> list[str]:
    out = [r["Question"] for r in read_jsonl(SHARED / "kqa" / "questions_w_answers.jsonl")]
    out += [r["Question"] for r in read_jsonl(SHARED / "kqa" / "questions.jsonl")]
    out += [
        r["question"]
        for r in read_jsonl(SHARED / "medicationqa" / "medicationqa_medinfo2019.jsonl")
    ]
    out += [
        r["question"] for r in read_jsonl(SHARED / "medlfqa" / "healthsearchqa_questions.jsonl")
    ]
    with gzip.open(SHARED / "healthbench" / "healthbench_oss_eval_sample500.jsonl.gz", "rt") as f:
        for line in f.read().split("\n"):
            if line.strip():
                out.append(json.loads(line)["prompt"][-1]["content"])
    return [q for q in out if q]


def quality(backend, corpus, labelled, mode="bm25"):  # type: ignore[no-untyped-def]
    """recall@10 and MRR: a question's relevant documents are its own answer(s)."""
    doc_of = {p.passage_id: p.doc_id for p in corpus.passages}
    results = backend.search([q for q, _ in labelled], 10, corpus.version, mode=mode)
    hits, rr = 0, 0.0
    for (_, relevant), ranking in zip(labelled, results, strict=True):
        docs = [doc_of[h.passage_id] for h in ranking]
        ranks = [i for i, d in enumerate(docs, start=1) if d in relevant]
        if ranks:
            hits += 1
            rr += 1.0 / ranks[0]
    return hits / len(labelled), rr / len(labelled)


def answers_by_question(documents) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """MedQuAD repeats some questions across sources: every answer to it is relevant."""
    out: dict[str, set[str]] = {}
    for document in documents:
        out.setdefault(document.title, set()).add(document.doc_id)
    return out


def run(backend, name, corpus, queries, labelled) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    backend.build(corpus.passages, corpus.version)
    built = time.perf_counter()
    backend.search(queries, 10, corpus.version)
    done = time.perf_counter()
    recall, mrr = quality(backend, corpus, labelled)
    print(
        f"{name:<14} index {built - start:6.1f} s  retrieve {len(queries)} x top-10 "
        f"{done - built:6.1f} s  total {done - start:6.1f} s  recall@10 {recall:.3f}  MRR {mrr:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--es", action="store_true", help="also run against Elasticsearch")
    parser.add_argument("--dense-docs", type=int, default=500)
    args = parser.parse_args()
    records, documents = load_medquad()
    start = time.perf_counter()
    corpus = build_corpus(documents)
    print(
        f"MedQuAD: {len(documents)} answered documents -> {len(corpus.passages)} passages "
        f"(chunking {time.perf_counter() - start:.1f} s)"
    )
    rng = random.Random(11)
    by_title = answers_by_question(documents)
    questions = sorted(by_title)
    labelled = [(q, by_title[q]) for q in rng.sample(questions, 2000)]
    pool = [r["question"] for r in records] + other_questions()
    queries = [rng.choice(pool) for _ in range(N_QUERIES)]
    print(
        f"queries: {len(queries)} drawn from {len(pool)} real questions "
        f"({len(set(queries))} distinct texts; backends search each distinct text once)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedIndex(Path(tmp))
        run(embedded, "embedded bm25", corpus, queries, labelled)
        expanded = [(expand_terms(q), relevant) for q, relevant in labelled]
        recall, mrr = quality(embedded, corpus, expanded)
        changed = sum(a != b for (a, _), (b, _) in zip(labelled, expanded, strict=True))
        print(
            f"  + lay-term expansion: recall@10 {recall:.3f}  MRR {mrr:.3f}  "
            f"({changed} of {len(labelled)} questions changed)"
        )
    if args.es:
        port = "9270"
        env = {"QUARKMED_ES_PORT": port}  # default 512m heap
        script = ROOT / "scripts" / "elasticsearch.sh"
        url = (
            subprocess.run(
                ["bash", str(script), "start"],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, **env},
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        try:
            from quarkmed_dagster.retrieval.elastic import ElasticsearchIndex

            run(
                ElasticsearchIndex(url, prefix="bench-passages"),
                "elasticsearch",
                corpus,
                queries,
                labelled,
            )
        finally:
            subprocess.run(["bash", str(script), "stop"], env={**os.environ, **env})
    if args.dense_docs <= 0:
        return
    subset_docs = rng.sample(documents, args.dense_docs)
    subset = build_corpus(subset_docs)
    subset_answers = answers_by_question(subset_docs)
    subset_labelled = sorted(subset_answers.items())[:400]
    with tempfile.TemporaryDirectory() as tmp:
        index = EmbeddedIndex(Path(tmp), dense=True)
        start = time.perf_counter()
        index.build(subset.passages, subset.version)
        print(
            f"dense subset: {len(subset.passages)} passages embedded in "
            f"{time.perf_counter() - start:.1f} s"
        )
        for mode in ("bm25", "dense", "hybrid"):
            recall, mrr = quality(index, subset, subset_labelled, mode=mode)
            print(
                f"subset {mode:<7} recall@10 {recall:.3f}  MRR {mrr:.3f}  "
                f"({len(subset_labelled)} questions)"
            )


if __name__ == "__main__":
    main()
