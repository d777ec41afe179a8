"""Concordance between a judge and expert labels: agreement rate, Cohen's kappa, balanced F1."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sklearn.metrics import cohen_kappa_score, f1_score

PANEL = "panel"  # the judge_model of a panel's consensus in the concordance table
CONCORDANCE_COLUMNS = [
    "audit_set",
    "judge_model",
    "group_by",
    "group_value",
    "n",
    "n_missing",
    "concordance",
    "kappa",
    "balanced_f1",
    "threshold",
    "flagged",
]


def concordance_stats(
    expert: Sequence[str], judge: Sequence[str | None]
) -> dict[str, float | int | None]:
    """Pairs with a missing judge label are counted as missing, never as a verdict."""
    pairs = [(e, j) for e, j in zip(expert, judge, strict=True) if j is not None and e is not None]
    missing = len(expert) - len(pairs)
    if not pairs:
        return {
            "n": 0,
            "n_missing": missing,
            "concordance": None,
            "kappa": None,
            "balanced_f1": None,
        }
    ex = [p[0] for p in pairs]
    ju = [p[1] for p in pairs]
    agree = sum(a == b for a, b in pairs) / len(pairs)
    labels = sorted(set(ex) | set(ju))
    kappa = float(cohen_kappa_score(ex, ju, labels=labels)) if len(labels) > 1 else None
    if kappa is not None and kappa != kappa:  # NaN when expected agreement is 1
        kappa = None
    # Balanced F1: macro average over the classes the experts used.
    f1 = float(f1_score(ex, ju, labels=sorted(set(ex)), average="macro", zero_division=0))
    return {
        "n": len(pairs),
        "n_missing": missing,
        "concordance": agree,
        "kappa": kappa,
        "balanced_f1": f1,
    }


def concordance_table(
    frame: pl.DataFrame,
    audit_set: str,
    group_columns: Sequence[str],
    threshold: float,
    expert_col: str = "expert_label",
    judge_col: str = "judge_label",
) -> pl.DataFrame:
    """One row per judge model overall ('All') and per value of each grouping column.

    A row is flagged when its concordance is below ``threshold`` (or cannot be computed)."""
    rows: list[dict] = []
    for (judge_model,), sub in frame.group_by(["judge_model"], maintain_order=True):
        groups = [("all", "All", sub)]
        for col in group_columns:
            for (value,), part in sub.group_by([col], maintain_order=True):
                groups.append((col, str(value), part))
        for group_by, value, part in groups:
            stats = concordance_stats(part[expert_col].to_list(), part[judge_col].to_list())
            conc = stats["concordance"]
            rows.append(
                {
                    "audit_set": audit_set,
                    "judge_model": judge_model,
                    "group_by": group_by,
                    "group_value": value,
                    **stats,
                    "threshold": threshold,
                    "flagged": conc is None or conc < threshold,
                }
            )
    schema = {
        "audit_set": pl.Utf8,
        "judge_model": pl.Utf8,
        "group_by": pl.Utf8,
        "group_value": pl.Utf8,
        "n": pl.Int64,
        "n_missing": pl.Int64,
        "concordance": pl.Float64,
        "kappa": pl.Float64,
        "balanced_f1": pl.Float64,
        "threshold": pl.Float64,
        "flagged": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema).select(CONCORDANCE_COLUMNS)
