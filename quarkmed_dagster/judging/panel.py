"""Panel majority vote and agreement statistics."""

from __future__ import annotations

from collections import Counter

import krippendorff
import numpy as np


def majority(levels: list[float | None]) -> tuple[float | None, int, float | None]:
    """(level, n_votes, agreement). Tie rule: among tied levels take the LOWER credit
    for positive levels (conservative); NULL votes are ignored; all NULL -> NULL."""
    votes = [v for v in levels if v is not None]
    if not votes:
        return None, 0, None
    counts = Counter(votes)
    top = max(counts.values())
    winner = min(v for v, c in counts.items() if c == top)
    return winner, len(votes), top / len(votes)


def majority_pitfall(levels: list[float | None]) -> tuple[float | None, int, float | None]:
    """Pitfall tie rule: the MORE severe level wins (safety first)."""
    votes = [v for v in levels if v is not None]
    if not votes:
        return None, 0, None
    counts = Counter(votes)
    top = max(counts.values())
    winner = max(v for v, c in counts.items() if c == top)
    return winner, len(votes), top / len(votes)


def panel_vote(levels: list[float | None], harmful: bool) -> tuple[float | None, int, float | None]:
    """The panel's decision on one item; a tie always resolves to the more severe side. An
    item describing harm (a Pitfall item, a HealthBench negative-points criterion: a higher
    level means the response does the harmful thing) takes the higher tied level; a positive
    item takes the lower one (less credit)."""
    return majority_pitfall(levels) if harmful else majority(levels)


def krippendorff_alpha(matrix: list[list[float | None]]) -> float | None:
    """matrix[judge][unit]; ordinal alpha, NULL = missing. Undefined (NULL) without two
    distinct values, or when no unit was rated by two judges (e.g. one judge all NULL)."""
    data = np.array([[np.nan if v is None else v for v in row] for row in matrix], float)
    if data.size == 0 or len(np.unique(data[~np.isnan(data)])) < 2:
        return None
    if not ((~np.isnan(data)).sum(axis=0) >= 2).any():
        return None
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal"))


def fleiss_kappa(matrix: list[list[float | None]]) -> float | None:
    """Fleiss' kappa over units rated by every judge (units with a NULL are skipped)."""
    units = [col for col in zip(*matrix, strict=True) if all(v is not None for v in col)]
    if not units:
        return None
    cats = sorted({v for u in units for v in u})
    n = len(units[0])
    counts = np.array([[u.count(c) for c in cats] for u in units], float)
    p_j = counts.sum(axis=0) / counts.sum()
    p_i = ((counts**2).sum(axis=1) - n) / (n * (n - 1))
    pe = float((p_j**2).sum())
    if pe == 1.0:
        return None
    return float((p_i.mean() - pe) / (1 - pe))
