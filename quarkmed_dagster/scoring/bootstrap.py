"""Seeded percentile bootstrap of means, for every interval the project reports.

One resample draws response indices with replacement; its weights (how often each response
was drawn) are multiplied with all value columns at once, so the columns of one group (the
three dimensions of a model, say) share their resamples and cost about what one column
costs. A NULL (NaN) value is left out of its column's mean in the sample and in every
resample. Blocks of about 8M weights bound the memory, however large a group is.
"""

from __future__ import annotations

import numpy as np

BOOTSTRAP_BLOCK = 8_000_000  # resample weights held in memory at once
Interval = tuple[float | None, float | None, float | None]


def bootstrap_means(matrix: np.ndarray, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """(n_boot x columns) resample means of an (n x columns) matrix; NaN = missing value
    (a resample that drew no value of a column has a NaN mean there)."""
    n, columns = matrix.shape
    rng = np.random.default_rng(seed)
    present = ~np.isnan(matrix)
    values, counted = np.where(present, matrix, 0.0), present.astype(float)
    means = np.empty((n_boot, columns))
    rows = max(1, BOOTSTRAP_BLOCK // n)
    weights = np.empty((min(rows, n_boot), n))
    for start in range(0, n_boot, rows):
        block = min(rows, n_boot - start)
        for i in range(block):
            weights[i] = np.bincount(rng.integers(0, n, size=n), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[start : start + block] = (weights[:block] @ values) / (weights[:block] @ counted)
    return means


def bootstrap_intervals(
    matrix: np.ndarray, n_boot: int = 1000, seed: int = 0, alpha: float = 0.05
) -> list[Interval]:
    """Per column: (mean, lower, upper) of the percentile interval; all None for a column
    without any value."""
    if matrix.shape[0] == 0:
        return [(None, None, None)] * matrix.shape[1]
    boots = bootstrap_means(matrix, n_boot, seed)
    out: list[Interval] = []
    for column in range(matrix.shape[1]):
        observed = matrix[:, column][~np.isnan(matrix[:, column])]
        if observed.size == 0:
            out.append((None, None, None))
            continue
        lo, hi = np.nanquantile(boots[:, column], [alpha / 2, 1 - alpha / 2])
        out.append((float(observed.mean()), float(lo), float(hi)))
    return out


def bootstrap_ci(
    values: list[float | None], n_boot: int = 1000, seed: int = 0, alpha: float = 0.05
) -> Interval:
    """Interval of the mean of the non-NULL values (resamples draw from those only)."""
    vals = np.array([v for v in values if v is not None], dtype=float)
    return bootstrap_intervals(vals.reshape(-1, 1), n_boot, seed, alpha)[0]
