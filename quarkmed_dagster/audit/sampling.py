"""Blinded stratified audit samples for clinicians and import of their labels.

A sample row is one (response, rubric item). The clinician file holds the query, response and
item but no model names and no judge levels; a separate key file maps each ``sample_id`` back
to the response, the model and the judges' levels.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from openpyxl import Workbook, load_workbook

from quarkmed_dagster.audit.metrics import concordance_table
from quarkmed_dagster.llm.types import stable_hash

STRATA = ["category", "tier", "candidate_model"]
CLINICIAN_COLUMNS = [
    "sample_id",
    "category",
    "tier",
    "query_text",
    "response_text",
    "item_title",
    "levels",
    "expert_level",
]
SAMPLE_SQL = """
SELECT cr.response_id, ri.item_id, cr.query_id, q.category, ri.tier, cr.candidate_model,
       q.final_user_turn AS query_text, cr.response_text, ri.title AS item_title,
       CAST(ri.levels AS VARCHAR) AS levels,
       CAST(iv.level AS VARCHAR) AS panel_level,
       (SELECT CAST(to_json(map_from_entries(list(
                   {'k': j.judge_model, 'v': CAST(j.level AS VARCHAR)})))
               AS VARCHAR)
          FROM judge_verdicts AS j
          WHERE j.response_id = cr.response_id AND j.item_id = ri.item_id) AS judge_levels
FROM candidate_responses AS cr
JOIN queries AS q ON q.query_id = cr.query_id
JOIN rubric_items AS ri ON ri.query_id = cr.query_id
LEFT JOIN item_verdicts AS iv ON iv.response_id = cr.response_id AND iv.item_id = ri.item_id
WHERE cr.response_text IS NOT NULL
"""


def stratified_sample(frame: pl.DataFrame, per_stratum: int, seed: int = 0) -> pl.DataFrame:
    """Up to ``per_stratum`` rows from every category x tier x model cell, in a shuffled order."""
    parts = [
        part.sample(n=min(per_stratum, part.height), seed=seed, shuffle=True)
        for _, part in frame.sort("response_id", "item_id").group_by(STRATA, maintain_order=True)
    ]
    if not parts:
        return frame.clear()
    out = pl.concat(parts).with_columns(
        pl.struct("response_id", "item_id")
        .map_elements(lambda s: "S" + stable_hash([s["response_id"], s["item_id"]], 10), pl.Utf8)
        .alias("sample_id")
    )
    return out.sample(fraction=1.0, seed=seed, shuffle=True)


def write_sample(sample: pl.DataFrame, out_dir: Path, name: str) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    clinician = sample.with_columns(pl.lit(None, dtype=pl.Utf8).alias("expert_level")).select(
        CLINICIAN_COLUMNS
    )
    paths = {
        "csv": out_dir / f"{name}.csv",
        "xlsx": out_dir / f"{name}.xlsx",
        "key": out_dir / f"{name}.key.csv",
    }
    clinician.write_csv(paths["csv"])
    wb = Workbook()
    ws = wb.active
    ws.title = "audit"
    ws.append(CLINICIAN_COLUMNS)
    for row in clinician.iter_rows():
        ws.append(list(row))
    wb.save(paths["xlsx"])
    sample.select(
        "sample_id",
        "response_id",
        "item_id",
        "query_id",
        "candidate_model",
        "panel_level",
        "judge_levels",
    ).write_csv(paths["key"])
    return paths


def read_labels(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".xlsx":
        rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
        header = [str(h) for h in rows[0]]
        data = {
            h: [None if r[i] is None else str(r[i]) for r in rows[1:]] for i, h in enumerate(header)
        }
        return pl.DataFrame(data, schema={h: pl.Utf8 for h in header})
    return pl.read_csv(path, infer_schema_length=0)


def _norm(level: str | None) -> str | None:
    if level is None or str(level).strip() == "":
        return None
    text = str(level).strip().lower()
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def labelled_pairs(labels: pl.DataFrame, key: pl.DataFrame) -> pl.DataFrame:
    """One row per (sample, judge) with the expert label; the panel consensus is judge 'panel'."""
    joined = labels.select("sample_id", "tier", "category", "expert_level").join(
        key, on="sample_id", how="inner"
    )
    rows = []
    for r in joined.iter_rows(named=True):
        expert = _norm(r["expert_level"])
        if expert is None:
            continue
        judges = {"panel": r["panel_level"]}
        judges.update(json.loads(r["judge_levels"]) if r["judge_levels"] else {})
        for judge, level in judges.items():
            rows.append(
                {
                    "tier": r["tier"],
                    "category": r["category"],
                    "judge_model": judge,
                    "expert_label": expert,
                    "judge_label": _norm(level),
                }
            )
    schema = {
        c: pl.Utf8 for c in ("tier", "category", "judge_model", "expert_label", "judge_label")
    }
    return pl.DataFrame(rows, schema=schema)


def audit_concordance(
    labels: pl.DataFrame, key: pl.DataFrame, audit_set: str, threshold: float
) -> pl.DataFrame:
    pairs = labelled_pairs(labels, key)
    table = concordance_table(pairs, audit_set, ["tier", "category"], threshold)
    return table.with_columns(
        pl.col("judge_model").str.starts_with("baseline/").alias("is_baseline"),
        pl.lit(None, dtype=pl.Utf8).alias("prompt_version"),
    )
