"""A small real knowledge base for change-flow tests and the refresh benchmark.

Corpus: the first N records of the bundled MedQuAD sample. Queries: questions of some of
those records (generic JSONL with the record's answer as reference answer, so the offline
baseline candidates can answer). A corpus change edits whole documents (a document's id
hashes its text, so all its passages get new ids) until a share of the passages changed.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl

from quarkmed_dagster.retrieval.documents import medquad_documents, read_jsonl
from quarkmed_dagster.warehouse import Warehouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MEDQUAD = PROJECT_ROOT / "data" / "sample" / "corpus" / "medquad_subset.jsonl.gz"
CORPUS_FILE = "medquad_subset.jsonl.gz"
QUERY_FILE = "medquad_questions.jsonl"
# A revision that matters to the queries: a new leading statement about the document's topic.
REVISION = (
    "Revised 2026 guidance on {focus}: every patient should first see a specialist, who "
    "confirms the diagnosis with a blood test before any treatment starts. "
)


def change_chain(defs: dg.Definitions) -> frozenset[str]:
    """The assets a corpus change flows through: from the evidence to the scores."""
    selection = (
        dg.AssetSelection.assets("query_evidence").downstream()
        & dg.AssetSelection.assets("query_scores").upstream()
    ).required_multi_asset_neighbors()
    keys = selection.resolve(defs.get_repository_def().asset_graph)
    return frozenset(key.to_user_string() for key in keys)


def medquad_records(n: int) -> list[dict]:
    records = [r for r in read_jsonl(MEDQUAD) if r.get("answer")]
    return records[:n]


def write_corpus(sample_dir: Path, records: list[dict]) -> None:
    folder = sample_dir / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / CORPUS_FILE, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")


def write_queries(sample_dir: Path, records: list[dict], n_queries: int) -> None:
    """Questions of ``n_queries`` records spread over the corpus."""
    folder = sample_dir / "queries"
    folder.mkdir(parents=True, exist_ok=True)
    step = max(1, len(records) // n_queries)
    rows = [
        {"id": r["id"], "question": r["question"], "reference_answer": r["answer"],
         "source": "medquad-questions"}
        for r in records[::step][:n_queries]
    ]  # fmt: skip
    (folder / QUERY_FILE).write_text("\n".join(json.dumps(r) for r in rows) + "\n")


@dataclass(frozen=True)
class CorpusChange:
    records: list[dict]
    edited_docs: list[str]


def edit_documents(records: list[dict], doc_ids: list[str]) -> list[dict]:
    """A revised statement put at the head of these documents' answers."""
    wanted = set(doc_ids)
    out = []
    for record in records:
        [document] = medquad_documents(iter([record]))
        if document.doc_id in wanted:
            revision = REVISION.format(focus=record.get("focus") or "this condition")
            record = {**record, "answer": revision + record["answer"]}
        out.append(record)
    return out


def change_share(
    records: list[dict], store: Warehouse, share: float, from_evidence: bool, seed: int = 0
) -> CorpusChange:
    """Edit documents until ``share`` of the current passages would change.

    ``from_evidence`` picks documents behind the queries' top-ranked evidence, queries with a
    usable rubric first (so some judged queries are surely affected); otherwise documents are
    drawn at random (seeded)."""
    passages = store.read(
        "SELECT p.doc_id, count(*) AS n FROM passages p JOIN corpus_versions v "
        "USING (corpus_version) WHERE v.is_current GROUP BY 1 ORDER BY 1"
    )
    total = int(passages["n"].sum())
    sizes = dict(zip(passages["doc_id"], passages["n"], strict=True))
    if from_evidence:
        ranked = store.read(  # queries with a usable (judged) rubric first
            "SELECT DISTINCT p.doc_id, e.query_id, "
            "coalesce(s.status IN ('ok', 'carried'), false) AS judged "
            "FROM query_evidence_text e JOIN passages p USING (passage_id, corpus_version) "
            "LEFT JOIN rubric_sets s ON s.query_id = e.query_id AND s.is_current "
            "WHERE e.rank = 1 ORDER BY judged DESC, e.query_id"
        )
        order = list(dict.fromkeys(ranked["doc_id"].to_list()))
    else:
        order = list(sizes)
        random.Random(seed).shuffle(order)
    target = max(1, round(share * total))
    chosen, changed = [], 0
    for doc_id in order:
        if changed + sizes[doc_id] <= target:  # documents that fit what is left of the share
            chosen.append(doc_id)
            changed += sizes[doc_id]
    return CorpusChange(edit_documents(records, chosen), chosen)


def passage_turnover(store: Warehouse) -> tuple[int, int]:
    """(passages of the previous corpus version gone from the current one, previous total)."""
    versions = store.read("SELECT corpus_version FROM corpus_versions ORDER BY built_at DESC")
    current, previous = versions["corpus_version"][0], versions["corpus_version"][1]
    frame = store.read(
        "SELECT count(*) FILTER (WHERE passage_id NOT IN "
        "(SELECT passage_id FROM passages WHERE corpus_version = ?)) AS gone, count(*) AS n "
        "FROM passages WHERE corpus_version = ?",
        [current, previous],
    )
    return int(frame["gone"][0]), int(frame["n"][0])


def changed_fingerprints(store: Warehouse) -> set[str]:
    """Queries whose evidence fingerprint differs between the two newest corpus versions."""
    frame = store.read(
        "WITH v AS (SELECT corpus_version, row_number() OVER (ORDER BY built_at DESC) AS r "
        "FROM corpus_versions) "
        "SELECT cur.query_id FROM evidence_fingerprints cur "
        "JOIN evidence_fingerprints prev USING (query_id) "
        "WHERE cur.corpus_version = (SELECT corpus_version FROM v WHERE r = 1) "
        "AND prev.corpus_version = (SELECT corpus_version FROM v WHERE r = 2) "
        "AND cur.fingerprint <> prev.fingerprint"
    )
    return set(frame["query_id"].to_list())


def live_calls(store: Warehouse, since: object) -> pl.DataFrame:
    """Model calls actually made (not cache hits) since a time, per run label."""
    return store.read(
        "SELECT run_label, count(*) AS calls, sum(tokens_in + tokens_out) AS tokens "
        "FROM llm_calls WHERE status = 'ok' AND created_at >= ? GROUP BY 1 ORDER BY 1",
        [since],
    )
