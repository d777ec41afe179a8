"""Plain-text leaderboard for the terminal, read from the warehouse."""

from __future__ import annotations

import polars as pl

from quarkmed_dagster.labels import active_labels, label_notes, label_suffix
from quarkmed_dagster.warehouse import Warehouse, load_sql


def leaderboard_text(warehouse: Warehouse, labels: dict[str, str] | None = None) -> str:
    """``labels``: model -> label of figures that are not a measurement (default: the
    active profile's, e.g. ``tiny``)."""
    labels = active_labels() if labels is None else labels
    if not warehouse.path.exists():
        return "No warehouse yet: run `quarkmed run` first."
    with warehouse.connect() as con:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'leaderboard'"
        ).fetchone()[0]
        if not exists:
            return "No leaderboard yet (the scoring stage has not run)."
        frame = con.execute(load_sql("select_leaderboard_overall")).pl()
    if frame.is_empty():
        return "Leaderboard is empty."
    rows = list(frame.iter_rows(named=True))
    shown = [r["candidate_model"] + label_suffix(r["candidate_model"], r["is_baseline"], labels)
             for r in rows]  # fmt: skip
    width = max(len("model"), *map(len, shown))
    lines = ["LEADERBOARD (offline baseline models are labelled [baseline])"]
    lines += [n for n in label_notes(labels) if any(m in n for m in frame["candidate_model"])]
    header = (
        f"{'rank':>4}  {'model':<{width}} {'score':>6}  {'95% CI':>15}  {'scored':>6}  "
        f"{'common':>6}  {'common 95% CI':>15}  coverage"
    )
    lines.append(header)
    for rank, (row, label) in enumerate(zip(rows, shown, strict=True), start=1):
        if row["score"] is None:  # every response flagged for low coverage: unscored, not 0
            score, ci = "n/a", "(unscored)"
        else:
            score, ci = f"{row['score']:.3f}", f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
        common = _fmt(row.get("common_score"))
        common_ci = (
            "n/a"
            if row.get("common_score") is None
            else f"[{row['common_ci_low']:.3f}, {row['common_ci_high']:.3f}]"
        )
        coverage = "n/a" if row["coverage"] is None else f"{row['coverage']:.0%}"
        scored = "n/a" if row.get("n_scored") is None else str(row["n_scored"])
        lines.append(
            f"{rank:>4}  {label:<{width}} {score:>6}  {ci:>15}  {scored:>6}  "
            f"{common:>6}  {common_ci:>15}  {coverage}"
        )
    lines.append(common_set_note(frame))
    return "\n".join(lines)


def common_set_note(frame: pl.DataFrame) -> str:
    """Says whether the models' means are over the same queries; ``frame``: overall rows
    of ``select_leaderboard_overall``."""
    if "n_common" not in frame.columns or frame["n_scored"].null_count() == frame.height:
        return "(this leaderboard was stored without its scored and common-set counts)"
    n_common = int(frame["n_common"].fill_null(0).max())
    same = all(
        r["score"] is None or (r["common_score"] is not None
                               and abs(r["score"] - r["common_score"]) < 1e-12)
        for r in frame.iter_rows(named=True)
    )  # fmt: skip
    if same:
        return f"every model is scored on the same {n_common} queries: score = common"
    scored = frame["n_scored"].drop_nulls()
    return (
        f"WARNING: the models are scored on different queries ({int(scored.min())} to "
        f"{int(scored.max())} scored responses): 'score' is each model's mean over its own "
        f"subset, 'common' the mean over the {n_common} queries every model has a score on; "
        "compare models on 'common'"
    )


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def rescore_comparison_text(stored: pl.DataFrame, rescored: pl.DataFrame, label: str) -> str:
    """The overall leaderboard under a new scoring configuration next to the stored one.

    ``stored``: rows of select_leaderboard_overall (may be empty); ``rescored``: a
    leaderboard frame (only its category 'all' rows are shown), ranked by the new score."""
    new = rescored.filter(pl.col("category").str.to_lowercase() == "all").sort(
        ["score", "candidate_model"], descending=[True, False], nulls_last=True
    )
    old = {r["candidate_model"]: (rank, r["score"])
           for rank, r in enumerate(stored.iter_rows(named=True), start=1)}  # fmt: skip
    labels = [r["candidate_model"] + (" [baseline]" if r["is_baseline"] else "")
              for r in new.iter_rows(named=True)]  # fmt: skip
    width = max(len("model"), *map(len, labels)) if labels else len("model")
    lines = [
        "RE-SCORED LEADERBOARD from stored verdicts (no model call)",
        f"new configuration: {label}",
        f"{'rank':>4}  {'model':<{width}} {'new':>6}  {'new 95% CI':>15}  {'stored':>6}  "
        f"{'change':>7}  stored rank",
    ]
    for rank, (row, name) in enumerate(zip(new.iter_rows(named=True), labels, strict=True), 1):
        old_rank, old_score = old.get(row["candidate_model"], (None, None))
        ci = "(unscored)" if row["score"] is None else (
            f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]")  # fmt: skip
        change = (
            _fmt(row["score"] - old_score, "+.3f")
            if row["score"] is not None and old_score is not None
            else "n/a"
        )
        lines.append(
            f"{rank:>4}  {name:<{width}} {_fmt(row['score']):>6}  {ci:>15}  "
            f"{_fmt(old_score):>6}  {change:>7}  {old_rank if old_rank else 'n/a'}"
        )
    if new.height and "n_common" in new.columns:
        lines.append(common_set_note(new))
    return "\n".join(lines)
