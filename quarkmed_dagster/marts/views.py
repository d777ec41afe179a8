"""Create the mart views whose source tables exist (each ``sql/mart_*.sql`` file names them
on its first line as ``-- requires: table_a, table_b``), then the marts computed in Python
from them (``leaderboard_dimensions``: bootstrap intervals have no SQL twin)."""

from __future__ import annotations

from quarkmed_dagster.marts.dimensions import TABLE as DIMENSIONS_TABLE
from quarkmed_dagster.marts.dimensions import write_leaderboard_dimensions
from quarkmed_dagster.warehouse import Warehouse, load_sql

MART_NAMES = [
    "mart_score_versions",  # first: the score marts below read it
    "mart_leaderboard_breakdown",
    "mart_leaderboard_versioned",
    "mart_query_scores_versioned",
    "mart_query_drilldown",
    "mart_judge_agreement",
]


def required_tables(sql: str) -> list[str]:
    first = sql.splitlines()[0] if sql else ""
    if not first.startswith("-- requires:"):
        return []
    return [t.strip() for t in first.split(":", 1)[1].split(",") if t.strip()]


def create_marts(wh: Warehouse) -> list[str]:
    """Returns the names of the marts created; marts whose inputs are missing are skipped."""
    tables = set(wh.read("SELECT table_name FROM information_schema.tables")["table_name"])
    created = []
    with wh.writer() as con:
        for name in MART_NAMES:
            sql = load_sql(name)
            if all(t in tables for t in required_tables(sql)):
                con.execute(sql)
                created.append(name.removeprefix("mart_"))
                tables.add(created[-1])  # a later mart may read this one
    if "query_scores_versioned" in created:
        write_leaderboard_dimensions(wh)
        created.append(DIMENSIONS_TABLE)
    return created
