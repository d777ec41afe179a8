"""Deeper retrieval for the closed loop: a larger k and a reformulated query.

The retrieval backend is passed in as a plain ``search(text, k) -> [(passage_id, text)]``
callable, so this module knows nothing about Elasticsearch or the embedded index. The
reformulation adds the user's earlier turns (a multi-turn question often names its subject
only there); results of both phrasings are merged by reciprocal rank, the original
evidence first so nothing already cited disappears.
"""

from __future__ import annotations

from collections.abc import Callable

from quarkmed_dagster.rubrics.records import Passage, QueryInput

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
