"""Explicit consensus over knowledge points.

1. Points from all aggregators are clustered by meaning: average-linkage agglomerative
   clustering of MiniLM vectors, cut where cosine similarity falls below the threshold
   (deterministic; an optional model equivalence check may merge near clusters).
2. Each cluster records its support: which generators made it (through the answers its
   points cite), which aggregators extracted it, and the ratios over those that answered.
3. A cluster is kept when its generator support ratio exceeds the threshold; a ratio
   exactly at the threshold is decided by the tie rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.rubrics.config import ConsensusParams
from quarkmed_dagster.rubrics.records import CandidateAnswer, Cluster, KnowledgePoint

Encoder = Callable[[Sequence[str]], np.ndarray]
KIND_ORDER = ("essential", "insight", "extension")
TIE_EPSILON = 1e-9


def cluster_labels(vectors: np.ndarray, similarity_threshold: float) -> list[int]:
    """Cluster label per row (0-based, in order of first appearance)."""
    n = vectors.shape[0]
    if n == 0:
        return []
    if n == 1:
        return [0]
    tree = linkage(vectors.astype(np.float64), method="average", metric="cosine")
    raw = fcluster(tree, t=1.0 - similarity_threshold, criterion="distance")
    renumber: dict[int, int] = {}
    return [renumber.setdefault(int(label), len(renumber)) for label in raw]


def merge_labels(labels: list[int], pairs: list[tuple[int, int]]) -> list[int]:
    """Union the given label pairs (equivalence decisions) and renumber in order."""
    parent = {label: label for label in labels}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    renumber: dict[int, int] = {}
    return [renumber.setdefault(root(label), len(renumber)) for label in labels]


def near_cluster_pairs(
    vectors: np.ndarray, labels: list[int], threshold: float, band: float
) -> list[tuple[int, int]]:
    """Pairs of clusters whose centroids are just below the threshold (to ask a model)."""
    ids = sorted(set(labels))
    if len(ids) < 2:
        return []
    label_arr = np.array(labels)
    centroids = np.stack([vectors[label_arr == i].mean(axis=0) for i in ids])
    centroids /= np.clip(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12, None)
    sims = centroids @ centroids.T
    return [
        (ids[i], ids[j])
        for i in range(len(ids))
        for j in range(i + 1, len(ids))
        if threshold - band <= sims[i, j] < threshold
    ]


def decide(
    support_ratio: float, aggregator_ratio: float, params: ConsensusParams
) -> tuple[bool, str]:
    """Inclusion by the threshold, with the explicit tie rule at exactly the threshold."""
    threshold = params.support_threshold
    if support_ratio > threshold + TIE_EPSILON:
        return True, "above_threshold"
    if support_ratio < threshold - TIE_EPSILON:
        return False, "below_threshold"
    if params.tie_rule == "include":
        return True, "tie_included"
    if params.tie_rule == "exclude":
        return False, "tie_excluded"
    majority = aggregator_ratio > 0.5 + TIE_EPSILON
    return majority, "tie_aggregator_majority" if majority else "tie_aggregator_minority"


def _majority_kind(kinds: list[str]) -> str:
    counts = Counter(kinds)
    return max(KIND_ORDER, key=lambda k: (counts.get(k, 0), -KIND_ORDER.index(k)))


def build_clusters(
    query_id: str,
    points: list[KnowledgePoint],
    labels: list[int],
    answers: list[CandidateAnswer],
    aggregators_ok: list[str],
    params: ConsensusParams,
) -> list[Cluster]:
    """Clusters with support counts and ratios over generators/aggregators that answered."""
    ok_answers = {a.answer_id: a for a in answers if a.text}
    generators_ok = sorted({a.generator for a in ok_answers.values()})
    clusters = []
    for label in sorted(set(labels)):
        members = [p for p, lab in zip(points, labels, strict=True) if lab == label]
        cited = {aid for p in members for aid in p.supporting_answer_ids if aid in ok_answers}
        generators = sorted({ok_answers[aid].generator for aid in cited})
        aggregators = sorted({p.aggregator for p in members})
        support_ratio = len(generators) / len(generators_ok) if generators_ok else 0.0
        aggregator_ratio = len(aggregators) / len(aggregators_ok) if aggregators_ok else 0.0
        included, decision = decide(support_ratio, aggregator_ratio, params)
        # The representative text: the member most similar to the rest is not needed for
        # determinism; the shortest complete statement from the first aggregator reads best.
        text = sorted(members, key=lambda p: (p.aggregator, len(p.text), p.text))[0].text
        clusters.append(
            Cluster(
                cluster_id="cl-" + stable_hash([query_id, sorted(p.point_id for p in members)]),
                query_id=query_id,
                text=text,
                kind=_majority_kind([p.kind for p in members]),
                point_ids=[p.point_id for p in members],
                generators=generators,
                aggregators=aggregators,
                support_count=len(generators),
                support_ratio=support_ratio,
                aggregator_count=len(aggregators),
                aggregator_ratio=aggregator_ratio,
                answer_ratio=len(cited) / len(ok_answers) if ok_answers else 0.0,
                included=included,
                decision=decision,
            )
        )
    return clusters


def agreement(clusters: list[Cluster]) -> float:
    """Generator agreement of a query: mean support ratio of its essential clusters."""
    essential = [c.support_ratio for c in clusters if c.kind == "essential"]
    return float(np.mean(essential)) if essential else 0.0
