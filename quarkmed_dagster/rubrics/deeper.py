"""Deeper retrieval for the closed loop: a larger k and a reformulated query.

The retrieval backend is passed in as a plain ``search(text, k) -> [(passage_id, text)]``
callable, so this module knows nothing about Elasticsearch or the embedded index. The
reformulation adds the user's earlier turns (a multi-turn question often names its subject
only there); results of both phrasings are merged by reciprocal rank, the original
evidence first so nothing already cited disappears. Passages of the query's own reference
documents (``excluded``, as in ``retrieval.leakage``) are never added: the search asks for
that many more hits and drops them.

A search the backend cannot serve (``RetrievalBackendError``: Elasticsearch down, a failed
search) leaves the round with the evidence it had, and is counted in ``failures`` (with the
first error's message) so the stage reports it instead of passing it off as "no more
evidence"; any other exception is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from quarkmed_dagster.retrieval.records import RetrievalBackendError
from quarkmed_dagster.rubrics.records import Passage, QueryInput
from quarkmed_dagster.warehouse import Warehouse, load_sql

Search = Callable[[str, int], list[tuple[str, str]]]
RRF_K = 60


def reformulate(query: QueryInput) -> str:
    earlier = [t["content"] for t in query.history if t.get("role") == "user"]
    return " ".join([*earlier[-2:], query.text]).strip()


@dataclass
class DeeperRetrieval:
    """``(query, k) -> deeper evidence``, or None when there is nothing more (or the backend
    failed: counted in ``failures``)."""

    search: Search
    excluded: Mapping[str, set[str]] = field(default_factory=dict)
    failures: int = 0
    first_error: str | None = None

    def __call__(self, query: QueryInput, k: int) -> list[Passage] | None:
        scores: dict[str, float] = {}
        texts: dict[str, str] = {}
        banned = self.excluded.get(query.query_id, set())
        phrasings = list(dict.fromkeys([query.text, reformulate(query)]))
        for phrasing in phrasings:
            try:
                hits = self.search(phrasing, k + len(banned))
            except RetrievalBackendError as exc:  # the round keeps the evidence it had
                self.failures += 1
                self.first_error = self.first_error or str(exc)[:300]
                return None
            allowed = [(pid, text) for pid, text in hits if pid not in banned]
            for rank, (passage_id, text) in enumerate(allowed, start=1):
                scores[passage_id] = scores.get(passage_id, 0.0) + 1.0 / (RRF_K + rank)
                texts[passage_id] = text
        known = [p.passage_id for p in query.evidence]
        extra = sorted((pid for pid in scores if pid not in known), key=lambda p: -scores[p])
        if not extra:
            return None
        return [*query.evidence, *(Passage(pid, texts[pid]) for pid in extra)][:k]


def make_deeper(search: Search, excluded: Mapping[str, set[str]] | None = None) -> DeeperRetrieval:
    return DeeperRetrieval(search, excluded or {})


def backend_search(retriever: Any, warehouse: Warehouse, corpus_version: str, mode: str) -> Search:
    """``search(text, k)`` over a retrieval backend (``Retriever.search`` of the retrieval
    package) with passage texts read from the warehouse."""

    def search(text: str, k: int) -> list[tuple[str, str]]:
        hits = retriever.search([text], k, corpus_version, mode=mode)[0]
        ids = [hit.passage_id for hit in hits]
        frame = warehouse.read(load_sql("select_rubric_deeper_passages"), [corpus_version, ids])
        texts = dict(zip(frame["passage_id"], frame["text"], strict=True))
        return [(pid, texts[pid]) for pid in ids if pid in texts]

    return search


def excluded_by_query(warehouse: Warehouse, corpus_version: str) -> dict[str, set[str]]:
    """Per query, the passages of its own reference documents (table ``evidence_exclusions``
    written by the evidence stage)."""
    frame = warehouse.read(load_sql("select_excluded_passages"), [corpus_version])
    out: dict[str, set[str]] = {}
    for query_id, passage_id in frame.iter_rows():
        out.setdefault(query_id, set()).add(passage_id)
    return out
