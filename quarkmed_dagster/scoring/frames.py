"""Scoring over frames: stored item verdicts -> query_scores -> leaderboard.
Re-scoring with new weights is a pure pass over stored verdicts (no model calls)."""

from __future__ import annotations

from dataclasses import fields, replace

import polars as pl

from quarkmed_dagster.scoring.bootstrap import Interval, bootstrap_ci
from quarkmed_dagster.scoring.hierarchical import QueryScore, ScoringConfig, Sums, eq2
from quarkmed_dagster.warehouse import Warehouse, load_sql

IH_TIERS = ("Important", "Highlight")
KEEP = ("query_id", "candidate_model", "is_baseline", "rubric_set_version", "corpus_version")


def score_frame(
    item_verdicts: pl.DataFrame,
    rubric_items: pl.DataFrame,
    responses: pl.DataFrame,
    cfg: ScoringConfig | None = None,
) -> pl.DataFrame:
    """item_verdicts(response_id, item_id, level); rubric_items(item_id, query_id, tier,
    tag, rubric_set_version, corpus_version, optional weight: all 1 when absent);
    responses(response_id, query_id, candidate_model, is_baseline). Items without a verdict
    count as NULL. An item's effective weight is its tier weight x its item weight / the mean
    item weight of its tier in the query's rubric (``hierarchical.effective_weights``).

    The per-response ``hierarchical.Sums`` are column expressions over all responses at
    once; ``hierarchical.eq2`` (the same function ``score_query`` ends in) then decides each
    score, so the two paths share every rule; tests check the sums agree on random cases.
    """
    cfg = cfg or ScoringConfig()
    items = rubric_items.lazy().with_columns(w=_effective_weight(rubric_items, cfg))
    responses_ = responses.lazy().select("response_id", *KEEP[:3])
    # Only judged (non-NULL) verdicts of the response's own current items add credit; the
    # item count per query supplies the NULLs (missing or failed verdicts) for coverage.
    judged = (
        item_verdicts.lazy()
        .select("response_id", "item_id", "level")
        .filter(pl.col("level").is_not_null())
        .join(items.select("item_id", "query_id", "tier", "tag", "w"), on="item_id")
        .join(responses_.select("response_id", own_query="query_id"), on="response_id")
        .filter(pl.col("query_id") == pl.col("own_query"))
        .with_columns(tag=pl.col("tag").fill_null(""))
        .with_columns(credit=pl.col("w") * pl.col("level"))
    )
    per_tag = (
        judged.filter(pl.col("tier").is_in(IH_TIERS))
        .group_by("response_id", "tag")
        .agg(pl.col("credit").sum())
        .group_by("response_id")
        .agg(
            ih_capped=pl.col("credit").clip(upper_bound=cfg.tag_cap).sum(),
            ih_raw=pl.col("credit").sum(),
        )
    )

    def tier_sum(column: str, tier: str) -> pl.Expr:
        return (pl.col(column) * (pl.col("tier") == tier)).sum()

    positive = pl.col("tier") != "Pitfall"
    sums = judged.group_by("response_id").agg(
        n_known=pl.len(),
        n_known_positive=positive.sum(),
        e=tier_sum("credit", "Essential"),
        p=tier_sum("credit", "Pitfall"),
        max_e=tier_sum("w", "Essential"),
        max_p=tier_sum("w", "Pitfall"),
        pos_max=(pl.col("w") * positive).sum(),
    )
    per_query = items.group_by("query_id", maintain_order=True).agg(
        n_items=pl.len(), n_positive=positive.sum(),
        rubric_set_version=pl.first("rubric_set_version"),
        corpus_version=pl.first("corpus_version"),
    )  # fmt: skip
    per_response = (
        responses_.with_row_index("order")
        .join(per_query, on="query_id")  # responses without rubric items get no score row
        .join(sums, on="response_id", how="left")
        .join(per_tag, on="response_id", how="left")
        .with_columns(pl.col(SUM_FIELDS).fill_null(0))
        .sort("order")
        .collect()
    )
    return _with_eq2(per_response, cfg)


SUM_FIELDS = [f.name for f in fields(Sums)]
SCORE_SCHEMA = {
    "score": pl.Float64,
    "coverage": pl.Float64,
    "flagged_low_coverage": pl.Boolean,
    "truncated": pl.Boolean,
    "medical_accuracy": pl.Float64,
    "key_point_coverage": pl.Float64,
    "risk_interception": pl.Float64,
}


def _row(q: QueryScore) -> tuple:
    return (q.score, q.coverage, q.flagged_low_coverage, q.truncated, q.medical_accuracy,
            q.key_point_coverage, q.risk_interception)  # fmt: skip


def _with_eq2(per_response: pl.DataFrame, cfg: ScoringConfig) -> pl.DataFrame:
    """Per-response sums -> ``hierarchical.eq2`` row by row (the one implementation of the
    decision rules; the sums above are the vectorised part)."""
    rows = [_row(eq2(Sums(*values), cfg)) for values in per_response.select(SUM_FIELDS).iter_rows()]
    results = pl.DataFrame(rows, schema=SCORE_SCHEMA, orient="row")
    return pl.concat([per_response.select("response_id", *KEEP), results], how="horizontal")


def _effective_weight(rubric_items: pl.DataFrame, cfg: ScoringConfig) -> pl.Expr:
    """Tier weight x item weight / mean item weight of the tier in the query's rubric."""
    tier_w = pl.col("tier").replace_strict(cfg.weights, return_dtype=pl.Float64)
    if "weight" not in rubric_items.columns:
        return tier_w
    item_w = pl.col("weight").cast(pl.Float64)
    mean = item_w.mean().over("query_id", "tier")
    return pl.when(mean > 0).then(tier_w * item_w / mean).otherwise(0.0)


def interval_frame(
    frame: pl.DataFrame,
    value: str,
    by: list[str],
    carry: tuple[str, ...] = ("rubric_set_version", "corpus_version"),
    seed: int = 0,
) -> pl.DataFrame:
    """Per group of ``by``: ``group_summary`` of ``value`` (the leaderboard)."""
    rows = [
        {
            **dict(zip(by, keys, strict=True)),
            **group_summary(grp, value, bootstrap_ci(grp[value].to_list(), seed=seed), carry),
        }
        for keys, grp in frame.group_by(by)
    ]
    return pl.DataFrame(rows, infer_schema_length=None)


def group_summary(
    grp: pl.DataFrame, value: str, interval: Interval, carry: tuple[str, ...]
) -> dict[str, object]:
    """One interval row of a group of responses: the mean of ``value`` with its bootstrap
    95% interval, ``n_queries`` (distinct queries), ``n_scored`` (non-NULL values), mean
    ``coverage`` and the first value of each ``carry`` column."""
    mean, lo, hi = interval
    return {
        "n_queries": grp["query_id"].n_unique(),
        "n_scored": grp[value].count(),
        "score": mean,
        "ci_low": lo,
        "ci_high": hi,
        "coverage": float(grp["coverage"].mean()),
        **{c: grp[c][0] for c in carry},
    }


def with_overall_category(frame: pl.DataFrame, queries: pl.DataFrame | None = None) -> pl.DataFrame:
    """Rows once per category (joined from ``queries`` when given) and once as 'all'."""
    if queries is not None:
        frame = frame.join(queries.select("query_id", "category"), on="query_id", how="left")
    return pl.concat([frame, frame.with_columns(category=pl.lit("all"))])


BOARD_KEYS = ["candidate_model", "is_baseline", "category"]
COMMON_COLUMNS = {"score": "common_score", "ci_low": "common_ci_low", "ci_high": "common_ci_high"}


def common_query_set(df: pl.DataFrame) -> pl.DataFrame:
    """(category, query_id) pairs scored (non-NULL) by every model that has any score in
    that category: the queries on which the models of a category can be compared."""
    scored = df.filter(pl.col("score").is_not_null()).select("category", "candidate_model",
                                                              "query_id").unique()  # fmt: skip
    n_models = scored.group_by("category").agg(n_models=pl.col("candidate_model").n_unique())
    per_query = scored.group_by("category", "query_id").agg(n=pl.col("candidate_model").n_unique())
    common = per_query.join(n_models, on="category").filter(pl.col("n") == pl.col("n_models"))
    return common.select("category", "query_id")


def leaderboard_frame(scores: pl.DataFrame, queries: pl.DataFrame, seed: int = 0) -> pl.DataFrame:
    """Per model, overall ('all') and per category: mean score with seeded bootstrap CI over
    the model's own scored responses (``n_scored`` of them, ``n_queries`` queries), and the
    same over the category's common query set (``common_score``, ``common_ci_low/high``,
    ``n_common`` queries; ``common_query_set``), where every model is compared on the same
    queries."""
    df = with_overall_category(scores, queries)
    out = interval_frame(df, "score", BOARD_KEYS, seed=seed)
    common = common_query_set(df)
    n_common = common.group_by("category").agg(n_common=pl.len())
    on_common = df.join(common, on=["category", "query_id"])
    if on_common.height:
        common_board = interval_frame(on_common, "score", BOARD_KEYS, carry=(), seed=seed)
        out = out.join(
            common_board.select(*BOARD_KEYS, *COMMON_COLUMNS).rename(COMMON_COLUMNS),
            on=BOARD_KEYS,
            how="left",
        )
    else:
        out = out.with_columns(pl.lit(None, pl.Float64).alias(c) for c in COMMON_COLUMNS.values())
    out = out.join(n_common, on="category", how="left").with_columns(
        pl.col("n_common").fill_null(0).cast(pl.Int64)
    )
    return out.sort(["category", "score"], descending=[False, True], nulls_last=True)


def load_inputs(warehouse: Warehouse) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Stored item verdicts, current rubric items, responses (ids only, never the texts)."""
    return (
        warehouse.read_table("item_verdicts"),
        warehouse.read("SELECT * FROM current_rubric_items"),
        warehouse.read(load_sql("select_scoring_responses")),
    )


def query_categories(warehouse: Warehouse) -> pl.DataFrame:
    return warehouse.read(load_sql("select_query_categories"))


def score_warehouse(
    warehouse: Warehouse, cfg: ScoringConfig | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Scores per response and the leaderboard from the stored verdicts under ``cfg`` (no
    model call, nothing written); an empty leaderboard when nothing is scored."""
    scores = score_frame(*load_inputs(warehouse), cfg)
    if not scores.height:
        return scores, pl.DataFrame()
    return scores, leaderboard_frame(scores, query_categories(warehouse))


def store_scores(warehouse: Warehouse, scores: pl.DataFrame, board: pl.DataFrame) -> None:
    """Replace the whole stored query_scores and leaderboard with these, in one transaction:
    a response whose rubric is no longer current (under review, dropped) and a model or
    category that is gone leave no row behind; nothing scored empties both tables."""
    warehouse.replace_tables({"query_scores": scores, "leaderboard": board})


def rescore(warehouse: Warehouse, weights: dict[str, float], **cfg_overrides) -> pl.DataFrame:
    """CLI-callable: recompute scores and leaderboard from stored verdicts; returns leaderboard."""
    cfg = replace(ScoringConfig(), weights=dict(weights), **cfg_overrides)
    return score_warehouse(warehouse, cfg)[1]
