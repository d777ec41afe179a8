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
Coverage = non-NULL items / all items; below ``min_coverage`` the score is None and
the response flagged (never scored as zero).
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


def score_query(items: list[Item], cfg: ScoringConfig | None = None) -> QueryScore:
    cfg = cfg or ScoringConfig()
    n = len(items)
    weighted = zip(items, effective_weights(items, cfg.weights), strict=True)
    known = [(it, wt) for it, wt in weighted if it.level is not None]
    coverage = len(known) / n if n else 0.0
    flagged = coverage < cfg.min_coverage or not known
    credit: dict[str, float] = defaultdict(float)
    maxc: dict[str, float] = defaultdict(float)
    tag_credit: dict[str, float] = defaultdict(float)
    for it, wt in known:
        maxc[it.tier] += wt
        if it.tier in ("Important", "Highlight"):
            tag_credit[it.tag] += wt * float(it.level)
        else:
            credit[it.tier] += wt * float(it.level)
    ih = sum(min(c, cfg.tag_cap) for c in tag_credit.values())
    e, p = credit["Essential"], credit["Pitfall"]
    if maxc["Essential"] > 0:
        ih = min(ih, cfg.ih_cap_ratio * e)
    e_cov = _ratio(e, maxc["Essential"])
    p_pen = _ratio(p, maxc["Pitfall"])
    truncated = (e_cov is not None and e_cov < cfg.essential_ratio - RATIO_EPSILON) or (
        p_pen is not None and p_pen > cfg.pitfall_ratio + RATIO_EPSILON
    )
    if truncated:
        ih = 0.0
    pos_max = maxc["Essential"] + maxc["Important"] + maxc["Highlight"]
    score: float | None
    if flagged:
        score = None
    elif pos_max > 0:
        score = min(1.0, max(0.0, (e + ih - p) / pos_max))
    else:  # only Pitfall items: 1 when none committed
        score = 1.0 - (p_pen or 0.0)
    return QueryScore(
        score=score,
        coverage=coverage,
        flagged_low_coverage=flagged,
        truncated=truncated,
        medical_accuracy=e_cov,
        key_point_coverage=_ratio(credit["Essential"] + sum(tag_credit.values()), pos_max),
        risk_interception=None if p_pen is None else 1.0 - p_pen,
    )
