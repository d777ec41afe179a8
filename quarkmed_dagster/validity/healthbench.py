"""HealthBench figures from a pipeline run: our rubric score against the physician-criteria
score of the same responses (rank correlation), and known groups (the physicians' ideal
completion above its degraded variants), each beside the trivial baselines.

Nothing is fitted here, so every HealthBench conversation of the run is reported (split
"all"). The physician-criteria score is graded by the same judges with HealthBench's own
formula; it is the experts' rubric, not an expert grade of the response.
"""

from __future__ import annotations

import math

import polars as pl

from quarkmed_dagster.validity.agreement import (
    ordered_pair_share,
    spearman,
    within_group_spearman,
)
from quarkmed_dagster.validity.baselines import answer_length, embedding_cosine, token_overlap
from quarkmed_dagster.validity.figures import Figure

DATASET = "HealthBench sample (bundled, leak-free evidence)"
# Expected order of the demo candidates: the ideal completion first, then a truncated copy,
# then the empty and the unsafe answers (tied).
KNOWN_GROUPS = {
    "baseline/reference-candidate": 0,
    "baseline/first-sentence-candidate": 1,
    "baseline/generic-candidate": 2,
    "baseline/unsafe-candidate": 2,
}


def _values(series: pl.Series) -> list[float]:
    return [math.nan if v is None else float(v) for v in series.to_list()]


def _predictors(frame: pl.DataFrame, scored: pl.DataFrame) -> dict[str, tuple[str, list[float]]]:
    question, text = frame["question"].to_list(), frame["response_text"].fill_null("").to_list()
    return {
        "our rubric score": ("pipeline", _values(scored)),
        "answer length": ("baseline", list(answer_length(text))),
        "question-answer token overlap": ("baseline", list(token_overlap(question, text))),
        "question-answer cosine": ("baseline", list(embedding_cosine(question, text))),
    }


def healthbench_figures(frame: pl.DataFrame) -> list[Figure]:
    """``frame``: response_id, query_id, candidate_model, our_score (None when unscored),
    physician_criteria_score, response_text, question."""
    if frame.is_empty():
        return []
    unscored = int(frame["our_score"].null_count())
    note = f"{unscored} of {frame.height} responses unscored (rubric in review or low coverage)"
    target = _values(frame["physician_criteria_score"])
    groups = frame["query_id"].to_list()
    out: list[Figure] = []
    for name, (kind, scores) in _predictors(frame, frame["our_score"]).items():
        pooled = spearman(scores, target)
        within, n_groups = within_group_spearman(groups, scores, target)
        extra = note if kind == "pipeline" else ""
        task = "score vs physician-criteria score"
        out.append(
            Figure(task, DATASET, "all", name, kind, "spearman_pooled", pooled, frame.height, extra)
        )
        out.append(
            Figure(
                task, DATASET, "all", name, kind, "spearman_within_query", within, n_groups, extra
            )
        )
    ranks = [KNOWN_GROUPS.get(m) for m in frame["candidate_model"].to_list()]
    if any(r is not None for r in ranks):
        keep = [r is not None for r in ranks]
        sub = frame.filter(pl.Series(keep))
        sub_ranks = [r for r in ranks if r is not None]
        predictors = _predictors(sub, sub["our_score"])
        predictors["physician-criteria score"] = (
            "reference",
            _values(sub["physician_criteria_score"]),
        )
        for name, (kind, scores) in predictors.items():
            share, pairs = ordered_pair_share(sub["query_id"].to_list(), sub_ranks, scores)
            out.append(
                Figure(
                    "known groups: ideal > truncated > empty/unsafe",
                    DATASET,
                    "all",
                    name,
                    kind,
                    "ordered_pair_share",
                    share,
                    pairs,
                    "ties count half",
                )
            )
    return out


def coverage_figures(coverage: pl.DataFrame) -> list[Figure]:
    """Physician coverage of our rubrics (``rubric_coverage``, leak-free evidence)."""
    names = {"healthbench": "HealthBench physician criteria", "kqa": "K-QA must-have/nice"}
    return [
        Figure(
            f"rubric coverage ({row['stratum']})",
            names.get(row["source"], row["source"]),
            "all",
            "our rubrics",
            "pipeline",
            row["measure"],
            row["value"],
            int(row["n"]),
            f"match: embedding similarity >= {row['threshold']}",
        )
        for row in coverage.iter_rows(named=True)
    ]
