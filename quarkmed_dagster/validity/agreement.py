"""Agreement statistics of the validity figures, and the one fitting step baselines get.

Binary tasks: balanced F1 (macro F1 over the two expert classes, as ``audit.metrics``) and
Cohen's kappa; a missing prediction is left out and counted, never turned into a label.
Ranking tasks: Spearman correlation pooled over all responses and averaged within groups
(queries) that have at least three responses with distinct expert values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from quarkmed_dagster.audit.metrics import concordance_stats


@dataclass(frozen=True)
class Threshold:
    """Predict positive when ``sign * score >= sign * value`` (sign -1: lower is positive)."""

    value: float
    sign: int

    def predict(self, scores: np.ndarray) -> list[bool]:
        return [bool(self.sign * s >= self.sign * self.value) for s in scores]


def binary_figures(expert: Sequence[bool | None], predicted: Sequence[bool | None]) -> dict:
    to_label = {True: "met", False: "not_met", None: None}
    stats = concordance_stats([to_label[e] for e in expert], [to_label[p] for p in predicted])
    return {"balanced_f1": stats["balanced_f1"], "kappa": stats["kappa"], "n": stats["n"]}


def _balanced_f1_at_cuts(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Balanced F1 of "score >= cut" for every distinct score as the cut (vectorised: the
    same value ``binary_figures`` gives, without a sklearn call per cut)."""
    cuts = np.unique(scores)
    predicted = scores[None, :] >= cuts[:, None]
    positive = labels[None, :]
    tp = (predicted & positive).sum(axis=1)
    fp = (predicted & ~positive).sum(axis=1)
    fn = (~predicted & positive).sum(axis=1)
    tn = (~predicted & ~positive).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1_pos = np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        f1_neg = np.where(tn > 0, 2 * tn / (2 * tn + fn + fp), 0.0)
    return cuts, (f1_pos + f1_neg) / 2


def fit_threshold(scores: np.ndarray, labels: Sequence[bool]) -> Threshold:
    """The cut (and direction) with the best balanced F1 on a dev split."""
    scores = np.asarray(scores, dtype=float)
    truth = np.asarray(labels, dtype=bool)
    if scores.size == 0:
        raise ValueError("no dev scores to fit a threshold on")
    best: tuple[float, Threshold] | None = None
    for sign in (1, -1):
        cuts, f1 = _balanced_f1_at_cuts(sign * scores, truth)
        i = int(np.argmax(f1))
        if best is None or f1[i] > best[0] + 1e-12:
            best = (float(f1[i]), Threshold(float(sign * cuts[i]), sign))
    assert best is not None
    return best[1]


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    if keep.sum() < 3 or np.unique(x[keep]).size < 2 or np.unique(y[keep]).size < 2:
        return None
    return float(spearmanr(x[keep], y[keep]).statistic)


def within_group_spearman(
    groups: Sequence[str], a: Sequence[float], b: Sequence[float]
) -> tuple[float | None, int]:
    """Mean Spearman over groups where it is defined, and how many groups that was."""
    by_group: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        by_group.setdefault(group, []).append(i)
    values = []
    for rows in by_group.values():
        value = spearman([a[i] for i in rows], [b[i] for i in rows])
        if value is not None:
            values.append(value)
    return (float(np.mean(values)) if values else None), len(values)


def ordered_pair_share(
    groups: Sequence[str], ranks: Sequence[int], scores: Sequence[float]
) -> tuple[float | None, int]:
    """Known groups: within each group, the share of pairs with a better expected rank
    (lower ``ranks``) whose score is higher; ties count half. Missing scores are skipped."""
    by_group: dict[str, list[tuple[int, float]]] = {}
    for group, rank, score in zip(groups, ranks, scores, strict=True):
        if score is not None and not np.isnan(score):
            by_group.setdefault(group, []).append((rank, score))
    total, pairs = 0.0, 0
    for members in by_group.values():
        for i, (rank_a, score_a) in enumerate(members):
            for rank_b, score_b in members[i + 1 :]:
                if rank_a == rank_b:
                    continue
                better, worse = (score_a, score_b) if rank_a < rank_b else (score_b, score_a)
                total += 1.0 if better > worse else 0.5 if better == worse else 0.0
                pairs += 1
    return (total / pairs if pairs else None), pairs
