"""The calibration trigger of the closed loop: rubrics that every candidate fails.

After a run has scored the candidates against a query's current rubric, the mean score of
all scored candidate responses is the rubric's calibration score. A rubric whose mean falls
below the threshold asks for what no candidate gives (too strict, off-topic or badly
grounded): on the next rubric run the query gets one calibration round (deeper retrieval and
regeneration, through the normal generation path). The rubric set written by that round
records the score that triggered it (``calibration_score``), so the round happens once. If
the regenerated rubric, once re-scored, is still below the threshold, the query goes to the
clinicians' review queue with reason ``low_calibration`` (no model calls).

Only scores computed after the current rubric set was written count (the SQL compares
timestamps): stale scores of an earlier rubric never trigger anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from quarkmed_dagster.rubrics.frames import REVIEW_SCHEMA
from quarkmed_dagster.rubrics.records import QueryInput

REASON = "low_calibration"


@dataclass
class CalibrationPlan:
    """Queries for a calibration round (query_id -> the mean score that triggered it), and
    review rows of queries whose calibrated rubric is still below the threshold."""

    rounds: dict[str, float] = field(default_factory=dict)
    reviews: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REVIEW_SCHEMA))


def plan_calibration(
    unchanged: list[QueryInput],
    scores: pl.DataFrame,
    version_of: dict[str, str],
    threshold: float | None,
) -> CalibrationPlan:
    """Pure. ``unchanged`` = queries whose current rubric matches this configuration;
    ``scores`` = rows of ``select_rubric_calibration_scores`` (query_id, rubric_set_version,
    calibration_score, mean_score, n_scored, n_models)."""
    plan = CalibrationPlan()
    if threshold is None or not scores.height:
        return plan
    by_key = {(r["query_id"], r["rubric_set_version"]): r for r in scores.iter_rows(named=True)}
    reviews = []
    for query in unchanged:
        version = version_of[query.corpus_version]
        row = by_key.get((query.query_id, version))
        if row is None or row["mean_score"] is None or row["mean_score"] >= threshold:
            continue
        if row["calibration_score"] is None:
            plan.rounds[query.query_id] = float(row["mean_score"])
            continue
        details = {
            "mean_score_before_calibration": row["calibration_score"],
            "mean_score_after_calibration": row["mean_score"],
            "threshold": threshold,
            "scored_responses": row["n_scored"],
            "candidate_models": row["n_models"],
        }
        reviews.append(
            {
                "query_id": query.query_id,
                "rubric_set_version": version,
                "reason": REASON,
                "details": json.dumps(details, sort_keys=True),
            }
        )
    if reviews:
        plan.reviews = pl.DataFrame(reviews, schema=REVIEW_SCHEMA, orient="row")
    return plan
