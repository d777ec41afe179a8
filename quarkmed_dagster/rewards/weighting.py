"""Tri-Factor Adaptive Dynamic Weighting (TADW) and the final aggregation with gates.

At every step t, from a batch of NORMALIZED reward vectors (RFN units):

    weakness_d   = max(target_d - mean_d, 0) + epsilon         (gap to target)
    risk_d       = risk_priority_d                              (>= 1, safety first)
    redundancy_d = 1 - 1 / sum_e rho_de^2                       (rho_dd = 1)
    raw_d        = weakness_d * risk_d * (1 - redundancy_d)
    w            = raw / sum(raw), then floors: w_d >= floor_d for risk dimensions
                   (water-filling: clamped dimensions get their floor, the others share the
                   rest in proportion to w), optionally smoothed with the previous step
                   (w = (1 - beta) w + beta w_prev, floors re-applied the same way, so the
                   smoothed weights stay continuous in beta and w_prev).

rho is the Pearson correlation over the batch (pairwise complete observations, 0 when
undefined). 1 / sum rho^2 is a dimension's "effective share of itself": an independent
dimension keeps (1 - redundancy) = 1, k exact duplicates each keep 1/k, so a duplicated
signal cannot double its say. Aggregate reward = sum_d w_d z_d over the present dimensions
(weights renormalised over them); the safety gates run last: a major Pitfall error caps the
reward at ``major_pitfall_cap`` (and optionally a minor one at ``minor_pitfall_cap``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from quarkmed_dagster.rewards.matrix import AlignmentMatrix

EPSILON = 0.05


@dataclass(frozen=True)
class WeightStep:
    weights: dict[str, float]
    weakness: dict[str, float]
    risk: dict[str, float]
    redundancy: dict[str, float]
    batch_mean: dict[str, float | None]


def _matrix(batch: Sequence[Mapping[str, float | None]], names: Sequence[str]) -> np.ndarray:
    data = np.full((len(batch), len(names)), np.nan)
    for i, row in enumerate(batch):
        for j, name in enumerate(names):
            value = row.get(name)
            if value is not None and math.isfinite(value):
                data[i, j] = value
    return data


def correlation_matrix(data: np.ndarray, min_pairs: int = 3) -> np.ndarray:
    """Pearson correlations over pairwise-complete rows; 0 where undefined, 1 on the diagonal."""
    k = data.shape[1]
    rho = np.eye(k)
    for a in range(k):
        for b in range(a + 1, k):
            mask = ~np.isnan(data[:, a]) & ~np.isnan(data[:, b])
            if mask.sum() < min_pairs:
                continue
            x, y = data[mask, a], data[mask, b]
            sx, sy = x.std(), y.std()
            if sx < 1e-12 or sy < 1e-12:
                continue
            r = float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy))
            rho[a, b] = rho[b, a] = max(-1.0, min(1.0, r))
    return rho


def apply_floors(weights: np.ndarray, floors: np.ndarray) -> np.ndarray:
    """Water-filling on ``weights`` (summing to 1): w_d = max(floor_d, lam * weights_d) with
    lam <= 1 so that the result sums to 1. The dimensions above their floor keep their
    relative sizes, so the result moves continuously with ``weights``: after smoothing, the
    smoothed shape is kept (not replaced by the unsmoothed one when a floor binds)."""
    clamped = np.zeros(len(weights), dtype=bool)
    w = weights.copy()
    for _ in range(len(weights) + 1):
        below = (w < floors - 1e-15) & ~clamped
        if not below.any():
            break
        clamped |= below
        free = ~clamped
        remaining = 1.0 - floors[clamped].sum()
        w = np.where(clamped, floors, 0.0)
        if free.any():
            share = weights[free] if weights[free].sum() > 0 else np.ones(free.sum())
            w[free] = remaining * share / share.sum()
    return w


def tri_factor_weights(
    matrix: AlignmentMatrix,
    batch: Sequence[Mapping[str, float | None]],
    previous: Mapping[str, float] | None = None,
    smoothing: float = 0.0,
    epsilon: float = EPSILON,
) -> WeightStep:
    """One TADW step from a batch of normalized reward vectors (see module docstring)."""
    names = list(matrix.names)
    data = _matrix(batch, names)
    with np.errstate(all="ignore"):
        counts = (~np.isnan(data)).sum(axis=0)
        means = np.where(counts > 0, np.nansum(data, axis=0) / np.maximum(counts, 1), np.nan)
    targets = np.array([d.target for d in matrix.dimensions])
    # A dimension with no observation in the batch has no measured gap: plain epsilon.
    gap = np.where(np.isnan(means), 0.0, np.maximum(targets - np.nan_to_num(means), 0.0))
    weakness = gap + epsilon
    risk = np.array([d.risk_priority for d in matrix.dimensions])
    rho = correlation_matrix(data)
    redundancy = 1.0 - 1.0 / (rho**2).sum(axis=1)
    raw = weakness * risk * (1.0 - redundancy)
    weights = raw / raw.sum()
    floors = np.array([d.floor for d in matrix.dimensions])
    weights = apply_floors(weights, floors)
    if previous and smoothing > 0:
        prev = np.array([previous.get(n, 0.0) for n in names])
        weights = (1.0 - smoothing) * weights + smoothing * prev
        weights = apply_floors(weights / weights.sum(), floors)
    return WeightStep(
        weights=dict(zip(names, weights.tolist(), strict=True)),
        weakness=dict(zip(names, weakness.tolist(), strict=True)),
        risk=dict(zip(names, risk.tolist(), strict=True)),
        redundancy=dict(zip(names, redundancy.tolist(), strict=True)),
        batch_mean={
            n: (None if math.isnan(m) else float(m)) for n, m in zip(names, means, strict=True)
        },
    )


@dataclass(frozen=True)
class Aggregate:
    reward: float | None
    ungated: float | None
    gated: bool
    gate_reason: str | None
    contributions: dict[str, float]


def aggregate(
    matrix: AlignmentMatrix,
    normalized: Mapping[str, float | None],
    weights: Mapping[str, float],
    major_pitfalls: Sequence[str] = (),
    minor_pitfalls: Sequence[str] = (),
) -> Aggregate:
    """Weighted sum over present dimensions, then the safety gates (applied last)."""
    present = {n: v for n, v in normalized.items() if v is not None and weights.get(n, 0) > 0}
    total = sum(weights[n] for n in present)
    if not present or total <= 0:
        return Aggregate(None, None, False, None, {})
    contributions = {n: weights[n] / total * v for n, v in present.items()}
    ungated = float(sum(contributions.values()))
    reward, reason = ungated, None
    gates = matrix.gates
    if major_pitfalls and ungated > gates.major_pitfall_cap:
        reward, reason = gates.major_pitfall_cap, f"major pitfall: {', '.join(major_pitfalls)}"
    elif (
        minor_pitfalls and gates.minor_pitfall_cap is not None and ungated > gates.minor_pitfall_cap
    ):
        reward, reason = gates.minor_pitfall_cap, f"minor pitfall: {', '.join(minor_pitfalls)}"
    return Aggregate(reward, ungated, reason is not None, reason, contributions)
