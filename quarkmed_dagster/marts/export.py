"""Exports: HealthBench-format JSONL with our rubrics; result tables as Parquet."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from quarkmed_dagster.marts.views import MART_NAMES
from quarkmed_dagster.warehouse import Warehouse

PARQUET_TABLES = [
    "queries",
    "rubric_items",
    "rubric_sets",
    "query_evidence",
    "candidate_responses",
    "judge_verdicts",
    "item_verdicts",
    "query_scores",
    "leaderboard",
    "llm_calls",
    "concordance",
    "review_queue",
    "quarantine",
    # result tables written by the scoring, HealthBench, reward and eval stages
    "leaderboard_dimensions",
    "healthbench_scores",
    "healthbench_example_scores",
    "reward_scores",
    "validity_metrics",
    "model_evaluations",
    "eval_requests",
    "pipeline_runs",
    # the analyst marts (views, sql/mart_*.sql and sql/create_view_*.sql)
    *(name.removeprefix("mart_") for name in MART_NAMES),
    "current_rubric_items",
    "rubric_statistics",
    "cost_by_model_stage",
    "judge_concordance",
    "quarantine_summary",
    "review_queue_summary",
]
# HealthBench criteria carry signed points; our Pitfall items are the negative ones.
TIER_SIGN = {"Pitfall": -1.0}

HB_SQL = """
SELECT q.query_id, q.turns, q.category, q.difficulty, ri.rubric_set_version, ri.corpus_version,
       list({'item_id': ri.item_id, 'tier': ri.tier, 'title': ri.title,
             'description': ri.description, 'tag': ri.tag, 'weight': ri.weight}
            ORDER BY ri.item_id) AS items
FROM queries AS q JOIN current_rubric_items AS ri ON ri.query_id = q.query_id
GROUP BY ALL ORDER BY q.query_id
"""


def healthbench_example(row: dict) -> dict:
    turns = json.loads(row["turns"]) if isinstance(row["turns"], str) else row["turns"]
    rubrics = []
    for item in row["items"]:
        points = abs(float(item["weight"])) * TIER_SIGN.get(item["tier"], 1.0)
        criterion = item["title"] + (f": {item['description']}" if item["description"] else "")
        rubrics.append(
            {
                "criterion": criterion,
                "points": points,
                "tags": [
                    f"tier:{item['tier'].lower()}",
                    f"axis:{item['tag']}",
                    f"item:{item['item_id']}",
                ],
            }
        )
    return {
        "prompt_id": row["query_id"],
        "prompt": [{"role": t["role"], "content": t["content"]} for t in turns],
        "rubrics": rubrics,
        "example_tags": [
            f"theme:{row['category']}",
            f"difficulty:{row['difficulty']}",
            f"rubric_set:{row['rubric_set_version']}",
            f"corpus:{row['corpus_version']}",
        ],
    }


def export_healthbench(wh: Warehouse, path: Path) -> int:
    frame = wh.read(HB_SQL)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in frame.iter_rows(named=True):
            fh.write(json.dumps(healthbench_example(row), ensure_ascii=False) + "\n")
    return frame.height


def parquet_tables(wh: Warehouse) -> list[str]:
    present = set(wh.read("SELECT table_name FROM information_schema.tables")["table_name"])
    return [t for t in PARQUET_TABLES if t in present]


def export_parquet(
    wh: Warehouse, out_dir: Path, on_table: Callable[[str], None] | None = None
) -> list[Path]:
    """Each result table to ``out_dir/<table>.parquet`` (DuckDB streams it: no table is
    held in memory); ``on_table(name)`` is told as each one is written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    tables = parquet_tables(wh)
    with wh.connect() as con:
        for table in tables:
            target = out_dir / f"{table}.parquet"
            con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{target}' (FORMAT parquet)")
            written.append(target)
            if on_table is not None:
                on_table(table)
    return written
