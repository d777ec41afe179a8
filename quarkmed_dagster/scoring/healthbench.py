"""HealthBench formula (openai/simple-evals ``healthbench_eval.py``): per example
sum(points of met criteria) / sum(positive points), NOT clipped (met negative criteria can
take it below 0); overall = the mean of the example scores clipped to [0, 1]; bootstrap std
= std of the clipped means of 1000 resamples."""

from __future__ import annotations

import numpy as np

BOOTSTRAP_BLOCK = 8_000_000  # resample draws held in memory at once


def example_score(points: list[float], met: list[bool | None]) -> float | None:
    """NULL criteria are excluded from both sums; no positive points judged -> None."""
    pairs = [(p, m) for p, m in zip(points, met, strict=True) if m is not None]
    pos = sum(p for p, _ in pairs if p > 0)
    if pos <= 0:
        return None
    achieved = sum(p for p, m in pairs if m)
    return float(achieved / pos)


def overall(scores: list[float | None], n_boot: int = 1000, seed: int = 0) -> dict:
    vals = np.array([s for s in scores if s is not None], dtype=float)
    if vals.size == 0:
        return {"score": None, "bootstrap_std": None, "n": 0}
    rng = np.random.default_rng(seed)
    boots = [np.clip(rng.choice(vals, vals.size).mean(), 0, 1) for _ in range(n_boot)]
    return {
        "score": float(np.clip(vals.mean(), 0, 1)),
        "bootstrap_std": float(np.std(boots)),
        "n": int(vals.size),
    }


def bootstrap_ci(
    values: list[float | None], n_boot: int = 1000, seed: int = 0, alpha: float = 0.05
) -> tuple[float | None, float | None, float | None]:
    """Seeded percentile bootstrap CI of the mean (NULLs excluded).

    Resample indices are drawn (int32) in blocks of about 8M, so memory stays bounded
    (~100 MB) however many responses a leaderboard row has.
    """
    vals = np.array([v for v in values if v is not None], dtype=float)
    if vals.size == 0:
        return None, None, None
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    block = max(1, BOOTSTRAP_BLOCK // vals.size)
    for start in range(0, n_boot, block):
        rows = min(block, n_boot - start)
        idx = rng.integers(0, vals.size, size=(rows, vals.size), dtype=np.int32)
        means[start : start + rows] = np.take(vals, idx).mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(vals.mean()), float(lo), float(hi)
