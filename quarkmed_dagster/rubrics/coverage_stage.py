"""Physician coverage over the warehouse: read reference criteria and current items, store.

The reference table comes from the ingestion stage; its text / kind / source columns are
found by name so the figure survives small schema changes there. HealthBench criteria
with negative points are reported as kind "negative" (what an answer must not do).
"""

from __future__ import annotations

import polars as pl

from quarkmed_dagster.rubrics.consensus import Encoder
from quarkmed_dagster.rubrics.coverage import Criterion, GeneratedItem, physician_coverage
from quarkmed_dagster.warehouse import Warehouse

MATCH_THRESHOLD = 0.6
TEXT_COLUMNS = ("criterion", "text", "statement", "content")
KIND_COLUMNS = ("kind", "criterion_type", "label", "type")


def _columns(warehouse: Warehouse, table: str) -> list[str]:
    return warehouse.read(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    )["column_name"].to_list()


def reference_criteria(warehouse: Warehouse) -> list[Criterion]:
    columns = _columns(warehouse, "reference_rubrics")
    text = next((c for c in TEXT_COLUMNS if c in columns), None)
    if "query_id" not in columns or text is None:
        return []
    kind = next((c for c in KIND_COLUMNS if c in columns), None)
    source = "r.source" if "source" in columns else "q.source"
    points = "r.points" if "points" in columns else "NULL"
    kind_sql = f'CAST(r."{kind}" AS VARCHAR)' if kind else "'criterion'"
    frame = warehouse.read(
        f'SELECT r.query_id, CAST({source} AS VARCHAR) AS source, r."{text}" AS text, '
        f"{kind_sql} AS kind, "
        f"{points} AS points FROM reference_rubrics r LEFT JOIN queries q USING (query_id)"
    )
    out = []
    for row in frame.iter_rows(named=True):
        if not row["text"]:
            continue
        kind_value = row["kind"] or "criterion"
        if row["points"] is not None and row["points"] < 0:
            kind_value = "negative"
        out.append(Criterion(row["query_id"], row["source"] or "unknown", kind_value, row["text"]))
    return out


def run_coverage(warehouse: Warehouse, embed: Encoder) -> pl.DataFrame:
    """Compute and replace the coverage rows of each current rubric_set_version."""
    criteria = reference_criteria(warehouse)
    items = warehouse.read(
        "SELECT query_id, rubric_set_version, tier, title, description FROM current_rubric_items"
    )
    frames = []
    for (version,), group in items.group_by(["rubric_set_version"], maintain_order=True):
        generated = [
            GeneratedItem(r["query_id"], r["tier"], f"{r['title']}. {r['description'] or ''}")
            for r in group.iter_rows(named=True)
        ]
        rows = physician_coverage(criteria, generated, embed, MATCH_THRESHOLD)
        frame = pl.DataFrame(
            [
                {"rubric_set_version": version, "source": r.source, "measure": r.measure,
                 "stratum": r.stratum, "n": r.n, "matched": r.matched, "value": r.value,
                 "threshold": MATCH_THRESHOLD}
                for r in rows
            ],
            schema={"rubric_set_version": pl.Utf8, "source": pl.Utf8, "measure": pl.Utf8,
                    "stratum": pl.Utf8, "n": pl.Int32, "matched": pl.Int32,
                    "value": pl.Float64, "threshold": pl.Float64},
            orient="row",
        )  # fmt: skip
        warehouse.replace_rows("rubric_coverage", frame, ["rubric_set_version"], [version])
        frames.append(frame)
    return pl.concat(frames) if frames else pl.DataFrame()
