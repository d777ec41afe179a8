"""HealthBench formula (openai/simple-evals ``healthbench_eval.py``): per example
sum(points of met criteria) / sum(positive points), NOT clipped (met negative criteria can
take it below 0); overall = the mean of the example scores clipped to [0, 1]; bootstrap std
= std of the clipped means of 1000 resamples."""

from __future__ import annotations

import numpy as np


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
