"""Plain-text leaderboard for the terminal, read from the warehouse."""

from __future__ import annotations

from quarkmed_dagster.warehouse import Warehouse, load_sql


def leaderboard_text(warehouse: Warehouse) -> str:
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
    labels = [r["candidate_model"] + (" [baseline]" if r["is_baseline"] else "") for r in rows]
    width = max(len("model"), *map(len, labels))
    lines = ["LEADERBOARD (offline baseline models are labelled [baseline])"]
    header = (
        f"{'rank':>4}  {'model':<{width}} {'score':>6}  {'95% CI':>15}  {'queries':>7}  coverage"
    )
    lines.append(header)
    for rank, (row, label) in enumerate(zip(rows, labels, strict=True), start=1):
        if row["score"] is None:  # every response flagged for low coverage: unscored, not 0
            score, ci = "n/a", "(unscored)"
        else:
            score, ci = f"{row['score']:.3f}", f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
        coverage = "n/a" if row["coverage"] is None else f"{row['coverage']:.0%}"
        lines.append(
            f"{rank:>4}  {label:<{width}} {score:>6}  {ci:>15}  {row['n_queries']:>7}  {coverage}"
        )
    return "\n".join(lines)
