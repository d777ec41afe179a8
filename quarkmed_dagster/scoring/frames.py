"""Scoring over frames: stored item verdicts -> query_scores -> leaderboard.
Re-scoring with new weights is a pure pass over stored verdicts (no model calls)."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from quarkmed_dagster.scoring.healthbench import bootstrap_ci
from quarkmed_dagster.scoring.hierarchical import Item, ScoringConfig, score_query


def score_frame(
    item_verdicts: pl.DataFrame,
    rubric_items: pl.DataFrame,
    responses: pl.DataFrame,
    cfg: ScoringConfig | None = None,
) -> pl.DataFrame:
    """item_verdicts(response_id, item_id, level); rubric_items(item_id, query_id, tier,
    tag, rubric_set_version, corpus_version); responses(response_id, query_id,
    candidate_model, is_baseline). Items without a verdict count as NULL."""
    cfg = cfg or ScoringConfig()
    joined = responses.join(
        rubric_items.select(
            "item_id", "query_id", "tier", "tag", "rubric_set_version", "corpus_version"
        ),
        on="query_id",
    ).join(
        item_verdicts.select("response_id", "item_id", "level"),
        on=["response_id", "item_id"],
        how="left",
    )
    rows = []
    for (rid,), grp in joined.group_by(["response_id"], maintain_order=True):
        first = grp.row(0, named=True)
        items = [
            Item(t, lv, tg or "") for t, lv, tg in grp.select("tier", "level", "tag").iter_rows()
        ]
        s = score_query(items, cfg)
        rows.append(
            {
                "response_id": rid,
                "query_id": first["query_id"],
                "candidate_model": first["candidate_model"],
                "is_baseline": first["is_baseline"],
                "rubric_set_version": first["rubric_set_version"],
                "corpus_version": first["corpus_version"],
                "score": s.score,
                "coverage": s.coverage,
                "flagged_low_coverage": s.flagged_low_coverage,
                "truncated": s.truncated,
                "medical_accuracy": s.medical_accuracy,
                "key_point_coverage": s.key_point_coverage,
                "risk_interception": s.risk_interception,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def leaderboard_frame(scores: pl.DataFrame, queries: pl.DataFrame, seed: int = 0) -> pl.DataFrame:
    """Per model, overall ('all') and per category: mean score with seeded bootstrap CI."""
    df = scores.join(queries.select("query_id", "category"), on="query_id", how="left")
    df = pl.concat([df, df.with_columns(category=pl.lit("all"))])
    rows = []
    for (model, base, cat), grp in df.group_by(["candidate_model", "is_baseline", "category"]):
        mean, lo, hi = bootstrap_ci(grp["score"].to_list(), seed=seed)
        rows.append(
            {
                "candidate_model": model,
                "is_baseline": base,
                "category": cat,
                "n_queries": grp["query_id"].n_unique(),
                "score": mean,
                "ci_low": lo,
                "ci_high": hi,
                "coverage": float(grp["coverage"].mean()),
                "rubric_set_version": grp["rubric_set_version"][0],
                "corpus_version": grp["corpus_version"][0],
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None).sort(
        ["category", "score"], descending=[False, True]
    )


def rescore(warehouse, weights: dict[str, float], **cfg_overrides) -> pl.DataFrame:
    """CLI-callable: recompute scores and leaderboard from stored verdicts; returns leaderboard."""
    cfg = replace(ScoringConfig(), weights=dict(weights), **cfg_overrides)
    scores = score_frame(
        warehouse.read_table("item_verdicts"),
        warehouse.read("SELECT * FROM current_rubric_items"),
        warehouse.read_table("candidate_responses"),
        cfg,
    )
    return leaderboard_frame(scores, warehouse.read_table("queries"))
