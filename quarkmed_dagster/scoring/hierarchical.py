"""QuarkMedBench Eq. 2 per-query score with truncation and saturation.

Each item has a tier, a tag, a weight (the rubric's item weight, in (0, 10]) and a level in
[0, 1] (None = NULL verdict, excluded). For positive tiers the level is the fraction of the
item met; for Pitfall items it is how far the pitfall was committed (1 = fully committed).

Effective item weight: w_i = w_T x weight_i / mean(weight of the query's tier-T items), the
mean over all the tier's items of the query (NULL verdicts included). The tiers keep their
balance (a tier's weights sum to w_T x its item count, as with equal item weights) while
items weigh more or less within their tier; equal item weights give w_i = w_T.
credit_T = sum(w_i * level) over non-NULL items of tier T.
Saturation: credit per tag (Important+Highlight) is capped at ``tag_cap`` weighted items
(default 3: a response cannot win by piling up one kind of point), and total
Important+Highlight credit is capped at ``ih_cap_ratio`` x Essential credit (default 2:
extras never outweigh core content twice over).
Truncation: Important+Highlight credit is zeroed when Essential coverage <
``essential_ratio`` (default 0.5: half the core points missing means the answer fails
its purpose) or Pitfall penalty > ``pitfall_ratio`` (default 0.5: more than half the
known dangers committed makes extras irrelevant).
score = clip((E + IH - P) / (w_E * nE + w_I * nI + w_H * nH), 0, 1).
Coverage = non-NULL items / all items; below ``min_coverage``, or when the rubric has
positive items and none was judged, the score and the dimensions are None and the response
flagged (never scored as zero). A rubric with no positive item scores 1 - Pitfall penalty.
The truncation thresholds compare with a tolerance of ``RATIO_EPSILON``: a ratio that is
exactly at the threshold is not truncated, whatever order the float sums were added in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

DEFAULT_WEIGHTS = {"Essential": 2.0, "Important": 1.0, "Highlight": 1.0, "Pitfall": 2.0}
RATIO_EPSILON = 1e-9


@dataclass(frozen=True)
class ScoringConfig:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    essential_ratio: float = 0.5
    pitfall_ratio: float = 0.5
    tag_cap: float = 3.0
    ih_cap_ratio: float = 2.0
    min_coverage: float = 0.5

    def __post_init__(self) -> None:
        if set(self.weights) != set(DEFAULT_WEIGHTS):
            raise ValueError(f"weights must name exactly the tiers {sorted(DEFAULT_WEIGHTS)}")
        if any(not w >= 0 for w in self.weights.values()):
            raise ValueError(f"tier weights must be >= 0: {self.weights}")
        for name in ("essential_ratio", "pitfall_ratio", "min_coverage"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not (self.tag_cap >= 0 and self.ih_cap_ratio >= 0):
            raise ValueError("saturation caps (tag_cap, ih_cap_ratio) must be >= 0")


@dataclass(frozen=True)
class Item:
    tier: str
    level: float | None
    tag: str = ""
    weight: float = 1.0


@dataclass(frozen=True)
class QueryScore:
    score: float | None
    coverage: float
    flagged_low_coverage: bool
    truncated: bool
    medical_accuracy: float | None
    key_point_coverage: float | None
    risk_interception: float | None


@dataclass(frozen=True)
class Sums:
    """What Eq. 2 needs of one response, summed over its query's current rubric items;
    ``eq2`` turns it into the score. Both paths build it (``score_query`` item by item,
    ``frames.score_frame`` vectorised over all responses), so the decision rules below exist
    once."""

    n_items: int  # all rubric items of the query, judged or not
    n_positive: int  # the rubric's Essential + Important + Highlight items, judged or not
    n_known: int  # judged (non-NULL) items
    n_known_positive: int  # judged positive items
    e: float  # Essential credit
    p: float  # Pitfall credit (committed)
    max_e: float  # effective weight of judged Essential items
    max_p: float  # effective weight of judged Pitfall items
    pos_max: float  # effective weight of judged positive items
    ih_capped: float  # Important + Highlight credit, each tag capped at tag_cap
    ih_raw: float  # Important + Highlight credit, uncapped


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def effective_weights(items: list[Item], tier_weights: dict[str, float]) -> list[float]:
    """w_T x item weight / mean item weight of the item's tier among ``items`` (0 when the
    tier's item weights are all 0)."""
    total: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for it in items:
        total[it.tier] += it.weight
        count[it.tier] += 1
    mean = {tier: total[tier] / count[tier] for tier in count}
    return [
        tier_weights[it.tier] * it.weight / mean[it.tier] if mean[it.tier] > 0 else 0.0
        for it in items
    ]


def query_sums(items: list[Item], cfg: ScoringConfig) -> Sums:
    """The ``Sums`` of one response's items (NULL levels excluded from every credit)."""
    weighted = zip(items, effective_weights(items, cfg.weights), strict=True)
    known = [(it, wt) for it, wt in weighted if it.level is not None]
    credit: dict[str, float] = defaultdict(float)
    maxc: dict[str, float] = defaultdict(float)
    tag_credit: dict[str, float] = defaultdict(float)
    for it, wt in known:
        maxc[it.tier] += wt
        if it.tier in ("Important", "Highlight"):
            tag_credit[it.tag] += wt * float(it.level)
        else:
            credit[it.tier] += wt * float(it.level)
    return Sums(
        n_items=len(items),
        n_positive=sum(it.tier != "Pitfall" for it in items),
        n_known=len(known),
        n_known_positive=sum(it.tier != "Pitfall" for it, _ in known),
        e=credit["Essential"],
        p=credit["Pitfall"],
        max_e=maxc["Essential"],
        max_p=maxc["Pitfall"],
        pos_max=maxc["Essential"] + maxc["Important"] + maxc["Highlight"],
        ih_capped=sum(min(c, cfg.tag_cap) for c in tag_credit.values()),
        ih_raw=sum(tag_credit.values()),
    )


def eq2(s: Sums, cfg: ScoringConfig) -> QueryScore:
    """Eq. 2 with saturation, truncation, coverage flag and dimensions from ``s``.

    Unscored (score and dimensions NULL, ``flagged_low_coverage``) when nothing was judged,
    coverage is below ``min_coverage``, or the rubric has positive items and none of them was
    judged (the score's denominator would be empty: no basis for "only Pitfall items").
    A rubric without positive items scores ``1 - Pitfall penalty``.
    """
    coverage = s.n_known / s.n_items if s.n_items else 0.0
    flagged = (
        s.n_known == 0
        or coverage < cfg.min_coverage
        or (s.n_positive > 0 and s.n_known_positive == 0)
    )
    ih = min(s.ih_capped, cfg.ih_cap_ratio * s.e) if s.max_e > 0 else s.ih_capped
    e_cov, p_pen = _ratio(s.e, s.max_e), _ratio(s.p, s.max_p)
    truncated = (e_cov is not None and e_cov < cfg.essential_ratio - RATIO_EPSILON) or (
        p_pen is not None and p_pen > cfg.pitfall_ratio + RATIO_EPSILON
    )
    if truncated:
        ih = 0.0
    if flagged:  # no score, and no dimension the leaderboard would not also count
        return QueryScore(None, coverage, True, truncated, None, None, None)
    if s.pos_max > 0:
        score = min(1.0, max(0.0, (s.e + ih - s.p) / s.pos_max))
    else:  # no positive item in the rubric (or positive tiers weighted 0): only Pitfall counts
        score = 1.0 - (p_pen or 0.0)
    return QueryScore(
        score=score,
        coverage=coverage,
        flagged_low_coverage=False,
        truncated=truncated,
        medical_accuracy=e_cov,
        key_point_coverage=_ratio(s.e + s.ih_raw, s.pos_max),
        risk_interception=None if p_pen is None else 1.0 - p_pen,
    )


def score_query(items: list[Item], cfg: ScoringConfig | None = None) -> QueryScore:
    """Eq. 2 for one response: ``eq2(query_sums(items))``."""
    cfg = cfg or ScoringConfig()
    return eq2(query_sums(items, cfg), cfg)
