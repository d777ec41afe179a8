"""How well generated rubrics cover physician-written ones (a validity figure only).

For queries that carry physician criteria (HealthBench rubric criteria, K-QA must-have /
nice-to-have statements), a physician criterion is *covered* when some generated item of
the same query is semantically close to it (MiniLM cosine at or above the threshold), and
a generated item is *matched* when some physician criterion is close to it.
Recall = covered / physician criteria, reported by the physicians' own kind; precision =
matched / generated items, reported by our tier. Nothing here feeds back into generation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from quarkmed_dagster.rubrics.consensus import Encoder

ALL = "All"


@dataclass(frozen=True)
class CoverageRow:
    source: str
    measure: str  # recall | precision
    stratum: str  # physician kind (recall) or our tier (precision), or "All"
    n: int
    matched: int

    @property
    def value(self) -> float | None:
        return self.matched / self.n if self.n else None


@dataclass(frozen=True)
class Criterion:
    query_id: str
    source: str
    kind: str
    text: str


@dataclass(frozen=True)
class GeneratedItem:
    query_id: str
    tier: str
    text: str


def physician_coverage(
    criteria: list[Criterion],
    items: list[GeneratedItem],
    embed: Encoder,
    threshold: float,
) -> list[CoverageRow]:
    """Recall by physician kind and precision by our tier, per source (+ "All" strata)."""
    by_query_items: dict[str, list[GeneratedItem]] = defaultdict(list)
    for item in items:
        by_query_items[item.query_id].append(item)
    by_query_criteria: dict[str, list[Criterion]] = defaultdict(list)
    for criterion in criteria:
        if criterion.query_id in by_query_items:
            by_query_criteria[criterion.query_id].append(criterion)
    recall: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    precision: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for query_id, refs in by_query_criteria.items():
        ours = by_query_items[query_id]
        sims = embed([r.text for r in refs]) @ embed([i.text for i in ours]).T
        source = refs[0].source
        for ref, best in zip(refs, sims.max(axis=1), strict=True):
            for stratum in (ref.kind, ALL):
                recall[(source, stratum)][0] += 1
                recall[(source, stratum)][1] += int(best >= threshold)
        for item, best in zip(ours, sims.max(axis=0), strict=True):
            for stratum in (item.tier, ALL):
                precision[(source, stratum)][0] += 1
                precision[(source, stratum)][1] += int(best >= threshold)
    rows = [CoverageRow(s, "recall", k, n, m) for (s, k), (n, m) in recall.items()]
    rows += [CoverageRow(s, "precision", k, n, m) for (s, k), (n, m) in precision.items()]
    return sorted(rows, key=lambda r: (r.source, r.measure, r.stratum != ALL, r.stratum))
