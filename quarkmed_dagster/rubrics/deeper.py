"""Deeper retrieval for the closed loop: a larger k and a reformulated query.

The retrieval backend is passed in as a plain ``search(text, k) -> [(passage_id, text)]``
callable, so this module knows nothing about Elasticsearch or the embedded index. The
reformulation adds the user's earlier turns (a multi-turn question often names its subject
only there); results of both phrasings are merged by reciprocal rank, the original
evidence first so nothing already cited disappears.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quarkmed_dagster.rubrics.records import Passage, QueryInput
from quarkmed_dagster.warehouse import Warehouse, load_sql

Search = Callable[[str, int], list[tuple[str, str]]]
RRF_K = 60


def reformulate(query: QueryInput) -> str:
    earlier = [t["content"] for t in query.history if t.get("role") == "user"]
    return " ".join([*earlier[-2:], query.text]).strip()


def make_deeper(search: Search) -> Callable[[QueryInput, int], list[Passage] | None]:
    def deeper(query: QueryInput, k: int) -> list[Passage] | None:
        scores: dict[str, float] = {}
        texts: dict[str, str] = {}
        phrasings = list(dict.fromkeys([query.text, reformulate(query)]))
        for phrasing in phrasings:
            try:
                hits = search(phrasing, k)
            except Exception:  # a failed deeper search leaves the round as it was
                return None
            for rank, (passage_id, text) in enumerate(hits, start=1):
                scores[passage_id] = scores.get(passage_id, 0.0) + 1.0 / (RRF_K + rank)
                texts[passage_id] = text
        known = [p.passage_id for p in query.evidence]
        extra = sorted((pid for pid in scores if pid not in known), key=lambda p: -scores[p])
        if not extra:
            return None
        return [*query.evidence, *(Passage(pid, texts[pid]) for pid in extra)][:k]

    return deeper


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
