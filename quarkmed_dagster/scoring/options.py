"""Scoring configurations from user input (CLI options, Dagster run config) and their label.

Tier weights are written ``E:I:H:P`` (``2:1:1:2``) or as ``Tier=value`` pairs
(``Pitfall=3,Highlight=0.5``); tiers not named keep their default weight.
"""

from __future__ import annotations

import math
from dataclasses import fields, replace

from quarkmed_dagster.scoring.hierarchical import DEFAULT_WEIGHTS, ScoringConfig

TIER_ORDER = ("Essential", "Important", "Highlight", "Pitfall")


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what}: {text!r} must be a finite number >= 0")
    return value


def parse_weights(text: str | None) -> dict[str, float]:
    """``"2:1:1:2"`` or ``"Essential=2,Pitfall=3"`` -> the four tier weights."""
    weights = dict(DEFAULT_WEIGHTS)
    if not text or not text.strip():
        return weights
    if "=" in text:
        for part in filter(str.strip, text.split(",")):
            tier, _, value = part.partition("=")
            tier = tier.strip()
            if tier not in weights:
                raise ValueError(f"unknown tier {tier!r} (tiers: {', '.join(TIER_ORDER)})")
            weights[tier] = _number(value.strip(), f"{tier} weight")
        return weights
    parts = text.split(":")
    if len(parts) != len(TIER_ORDER):
        raise ValueError(f"weights {text!r}: give four numbers E:I:H:P, e.g. 2:1:1:2")
    return {t: _number(p.strip(), f"{t} weight") for t, p in zip(TIER_ORDER, parts, strict=True)}


def scoring_config(
    weights: dict[str, float] | None = None, **overrides: float | None
) -> ScoringConfig:
    """The default ``ScoringConfig`` with the given fields replaced (None = keep default)."""
    known = {f.name for f in fields(ScoringConfig)} - {"weights"}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown scoring options: {', '.join(sorted(unknown))}")
    changes = {k: v for k, v in overrides.items() if v is not None}
    if weights is not None:
        changes["weights"] = dict(weights)
    return replace(ScoringConfig(), **changes)


def describe_config(cfg: ScoringConfig) -> str:
    """One line naming every parameter, for output and materialization metadata."""
    weights = ":".join(f"{cfg.weights[t]:g}" for t in TIER_ORDER)
    return (
        f"weights E:I:H:P = {weights}; truncation: Essential coverage < {cfg.essential_ratio:g} "
        f"or Pitfall penalty > {cfg.pitfall_ratio:g}; saturation: tag cap {cfg.tag_cap:g}, "
        f"I+H <= {cfg.ih_cap_ratio:g} x E; min coverage {cfg.min_coverage:g}"
    )
