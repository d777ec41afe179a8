"""Reciprocal-rank fusion and evidence fingerprints."""

from __future__ import annotations

from collections.abc import Sequence

from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.retrieval.records import Hit

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Hit]], k: int, retriever: str = "hybrid"
) -> list[Hit]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.passage_id] = scores.get(hit.passage_id, 0.0) + 1.0 / (RRF_K + rank)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
    return [Hit(pid, score, retriever) for pid, score in ordered]


def evidence_fingerprint(ranked: Sequence[tuple[str, str]]) -> str:
    """Hash of the ordered (passage_id, content_hash) pairs a query was given."""
    return stable_hash([list(pair) for pair in ranked], length=20)
