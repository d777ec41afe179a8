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

from quarkmed_dagster.audit.metrics import PANEL, concordance_table
from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.responses.requests import session_history
from quarkmed_dagster.warehouse import Warehouse, load_sql

STRATA = ["category", "tier", "candidate_model"]
CLINICIAN_COLUMNS = [
    "sample_id",
    "category",
    "tier",
    "history",
    "query_text",
    "response_text",
    "item_title",
    "levels",
    "expert_level",
]


def audit_candidates(wh: Warehouse) -> pl.DataFrame:
    """Every judged (response, current rubric item) with its query, the conversation before
    the final user turn as plain text (``history``), the panel and per-judge levels."""
    frame = wh.read(load_sql("select_audit_candidates"))
    history = [_history_text(turns) for turns in frame["turns"].to_list()]
    return frame.drop("turns").with_columns(pl.Series("history", history, dtype=pl.Utf8))


def _history_text(turns: object) -> str:
    earlier, _ = session_history(turns)
    return "\n".join(f"{t['role']}: {t['content']}" for t in earlier)


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
    if "history" not in sample.columns:
        sample = sample.with_columns(pl.lit("", dtype=pl.Utf8).alias("history"))
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


PAIR_COLUMNS = ("tier", "category", "candidate_model", "judge_model", "expert_label", "judge_label")


def labelled_pairs(labels: pl.DataFrame, key: pl.DataFrame) -> pl.DataFrame:
    """One row per (sample, judge) with the expert label; the panel consensus is judge 'panel'.
    ``is_baseline``: the judge is an offline baseline (the panel: all of its judges are)."""
    joined = labels.select("sample_id", "tier", "category", "expert_level").join(
        key, on="sample_id", how="inner"
    )
    rows = []
    for r in joined.iter_rows(named=True):
        expert = _norm(r["expert_level"])
        if expert is None:
            continue
        members = json.loads(r["judge_levels"]) if r["judge_levels"] else {}
        judges = {PANEL: r["panel_level"], **members}
        panel_baseline = bool(members) and all(is_baseline(j) for j in members)
        for judge, level in judges.items():
            rows.append(
                {
                    "tier": r["tier"],
                    "category": r["category"],
                    "candidate_model": r["candidate_model"],
                    "judge_model": judge,
                    "expert_label": expert,
                    "judge_label": _norm(level),
                    "is_baseline": panel_baseline if judge == PANEL else is_baseline(judge),
                }
            )
    schema = {c: pl.Utf8 for c in PAIR_COLUMNS} | {"is_baseline": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


def audit_concordance(
    labels: pl.DataFrame, key: pl.DataFrame, audit_set: str, threshold: float
) -> pl.DataFrame:
    """Concordance of the panel and of each judge with the clinicians' labels: overall, per
    tier, per category and per (blinded, now unblinded) candidate model."""
    pairs = labelled_pairs(labels, key)
    table = concordance_table(pairs, audit_set, ["tier", "category", "candidate_model"], threshold)
    baseline = pairs.select("judge_model", "is_baseline").unique("judge_model")
    return table.join(baseline, on="judge_model", how="left").with_columns(
        pl.col("is_baseline").fill_null(False),
        pl.lit(None, dtype=pl.Utf8).alias("prompt_version"),
    )
