"""Per-query evidence: search text -> top-k passages -> evidence rows and fingerprints."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from quarkmed_dagster.retrieval.backend import Retriever
from quarkmed_dagster.retrieval.formulation import search_text
from quarkmed_dagster.retrieval.fusion import evidence_fingerprint
from quarkmed_dagster.retrieval.leakage import drop_excluded

EVIDENCE_SCHEMA = {
    "query_id": pl.String,
    "corpus_version": pl.String,
    "rank": pl.Int64,
    "passage_id": pl.String,
    "score": pl.Float64,
    "retriever": pl.String,
}
FINGERPRINT_SCHEMA = {
    "query_id": pl.String,
    "corpus_version": pl.String,
    "fingerprint": pl.String,
    "n_passages": pl.Int64,
}


def turn_list(value: Any) -> list[dict[str, str]]:
    """Turns stored as JSON text or as DuckDB LIST<STRUCT(role, content)> (polars dicts)."""
    if value is None:
        return []
    turns = json.loads(value) if isinstance(value, str) else list(value)
    return [dict(t) for t in turns if t and t.get("content")]


def query_search_text(row: dict[str, Any], expand: bool = False) -> str:
    """Final user turn, plus the earlier user turns of a multi-turn session."""
    turns = turn_list(row.get("turns"))
    user_turns = [t["content"] for t in turns if t.get("role") == "user"]
    final = row.get("final_user_turn") or (user_turns[-1] if user_turns else "")
    # The final user turn is the last user turn (possibly scrubbed): context is the ones before.
    earlier = [] if row.get("is_multi_turn") is False else user_turns[:-1]
    return search_text(final, earlier, expand=expand)


def retrieve_evidence(
    queries: pl.DataFrame,
    retriever: Retriever,
    corpus_version: str,
    content_hashes: dict[str, str],
    k: int,
    mode: str = "bm25",
    expand: bool = False,
    excluded: Mapping[str, set[str]] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Evidence rows (query_id, rank, passage_id, score) and one fingerprint per query.

    ``excluded`` maps a query id to the passages it must never get (its own reference
    documents, ``retrieval.leakage``): the search fetches that many more hits, so each
    query still gets the exact top-k of the passages it may cite."""
    excluded = excluded or {}
    rows = list(queries.iter_rows(named=True))
    texts = [query_search_text(row, expand=expand) for row in rows]
    extra = max((len(excluded.get(row["query_id"], ())) for row in rows), default=0)
    results = retriever.search(texts, k + extra, corpus_version, mode=mode)
    evidence: list[dict[str, Any]] = []
    fingerprints: list[dict[str, Any]] = []
    for row, found in zip(rows, results, strict=True):
        hits = drop_excluded(found, excluded.get(row["query_id"], set()), k)
        for rank, hit in enumerate(hits, start=1):
            evidence.append(
                {
                    "query_id": row["query_id"],
                    "corpus_version": corpus_version,
                    "rank": rank,
                    "passage_id": hit.passage_id,
                    "score": hit.score,
                    "retriever": f"{retriever.name}:{hit.retriever}",
                }
            )
        pairs = [(h.passage_id, content_hashes.get(h.passage_id, "")) for h in hits]
        fingerprints.append(
            {
                "query_id": row["query_id"],
                "corpus_version": corpus_version,
                "fingerprint": evidence_fingerprint(pairs),
                "n_passages": len(hits),
            }
        )
    return (
        pl.DataFrame(evidence, schema=EVIDENCE_SCHEMA),
        pl.DataFrame(fingerprints, schema=FINGERPRINT_SCHEMA),
    )
