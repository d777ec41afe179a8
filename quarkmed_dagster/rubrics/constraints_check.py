"""The blocking rubric check: re-validate every current rubric set as stored.

Errors: a set breaking the count constraints, duplicate item ids or titles, a disallowed
tag (multi-turn tags only on multi-turn queries), invalid weight, a Pitfall or Safety item
with neither evidence passages nor consensus support. Warning: mean items per query
outside 7-13.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from quarkmed_dagster.rubrics.config import ConsensusParams
from quarkmed_dagster.rubrics.items import allowed_tags, normalise_title
from quarkmed_dagster.warehouse import Warehouse

MEAN_ITEMS_RANGE = (7.0, 13.0)


@dataclass
class ConstraintReport:
    queries: int = 0
    mean_items: float = 0.0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_items(
    items: pl.DataFrame, multi_turn: set[str], params: ConsensusParams | None = None
) -> ConstraintReport:
    """Pure: ``items`` = current_rubric_items rows."""
    params = params or ConsensusParams()
    report = ConstraintReport()
    if not items.height:
        return report
    duplicates = items.filter(pl.col("item_id").is_duplicated())["item_id"].unique().to_list()
    report.errors += [f"duplicate item_id {i}" for i in duplicates]
    sizes = []
    for (query_id,), group in items.group_by(["query_id"], maintain_order=True):
        sizes.append(group.height)
        tiers = group["tier"].value_counts()
        count = dict(zip(tiers["tier"], tiers["count"], strict=True))
        problems = []
        if not params.min_items <= group.height <= params.max_items:
            problems.append(f"{group.height} items")
        if count.get("Essential", 0) < params.min_essential:
            problems.append("too few Essential")
        if count.get("Important", 0) < params.min_important:
            problems.append("no Important")
        if count.get("Highlight", 0) < params.min_highlight:
            problems.append("no Highlight")
        if count.get("Pitfall", 0) > params.max_pitfall:
            problems.append("too many Pitfall")
        titles = [normalise_title(t) for t in group["title"]]
        if len(set(titles)) < len(titles):
            problems.append("duplicate titles")
        tags = allowed_tags(query_id in multi_turn)
        for row in group.iter_rows(named=True):
            if row["tag"] not in tags:
                problems.append(f"tag {row['tag']} not allowed")
            if not 0 < row["weight"] <= params.max_weight:
                problems.append(f"weight {row['weight']}")
            evidence = json.loads(row["evidence_passage_ids"] or "[]")
            risky = row["tier"] == "Pitfall" or row["tag"] == "Safety"
            if risky and not evidence and row["support_ratio"] < params.support_threshold:
                problems.append(f"unsupported {row['tier']}/{row['tag']} item")
        if problems:
            report.errors.append(f"{query_id}: {', '.join(problems)}")
    report.queries = len(sizes)
    report.mean_items = round(sum(sizes) / len(sizes), 2)
    low, high = MEAN_ITEMS_RANGE
    if not low <= report.mean_items <= high:
        report.warnings.append(f"mean items per query {report.mean_items} outside {low}-{high}")
    return report


def constraint_report(warehouse: Warehouse) -> ConstraintReport:
    items = warehouse.read("SELECT * FROM current_rubric_items")
    multi = warehouse.read("SELECT DISTINCT query_id FROM queries WHERE is_multi_turn")[
        "query_id"
    ].to_list()
    return check_items(items, set(multi))
