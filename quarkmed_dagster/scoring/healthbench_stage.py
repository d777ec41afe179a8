"""HealthBench-compatible mode: physician criteria (``reference_rubrics``) x candidate
responses -> judge verdicts (met / not met / NULL) -> example scores -> per-model score.

Each criterion is one judged item, shown to the judges through the ordinary judge template
(``judging.run.judge_responses``: the same prompts, parsing, cache keys and failure rules).
A criterion is **met** when the judge's level is 1.0 ("fully met"); 0 and 0.5 are not met,
as HealthBench grades criteria as met only when all of them holds. A negative-points
criterion describes something an answer should not do: met means the response does it, and
its points are subtracted. With several judges the panel majority decides; a tie resolves to
the more severe side (``judging.panel.panel_vote``): a positive criterion is then not met,
a negative criterion met (its points subtracted), as a tied Pitfall item counts as
committed. A failed or unparseable judgment stays NULL and is excluded from both sums; a
response whose criteria are all NULL has no example score (missing, never 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from quarkmed_dagster.judging.panel import panel_vote
from quarkmed_dagster.judging.run import judge_responses, prompt_version
from quarkmed_dagster.judging.stage import response_payloads
from quarkmed_dagster.llm.types import Gateway
from quarkmed_dagster.scoring.healthbench import example_score, overall

CRITERION_TIER = "Essential"  # judged on the 0 / 0.5 / 1 scale of positive tiers
MET_LEVEL = 1.0
CRITERION_LEVELS = {
    "not_met": "the response does not do what the criterion says (or does it only in part)",
    "fully_met": "the response does what the criterion says, also when the criterion "
    "describes something an answer should not do",
}
VERDICT_SCHEMA = {
    "response_id": pl.String,
    "criterion_id": pl.String,
    "judge_model": pl.String,
    "mode": pl.String,
    "level": pl.Float64,
    "met": pl.Boolean,
    "rationale": pl.String,
    "status": pl.String,
}
EXAMPLE_SCHEMA = {
    "response_id": pl.String,
    "query_id": pl.String,
    "candidate_model": pl.String,
    "is_baseline": pl.Boolean,
    "n_criteria": pl.Int32,
    "n_judged": pl.Int32,
    "score": pl.Float64,
}


@dataclass(frozen=True)
class HealthBenchOutput:
    verdicts: pl.DataFrame  # healthbench_verdicts
    examples: pl.DataFrame  # healthbench_example_scores
    scores: pl.DataFrame  # healthbench_scores


def criteria_items(criteria: pl.DataFrame) -> dict[str, list[dict]]:
    """reference_rubrics rows (reference_item_id, query_id, criterion) -> judge items per query."""
    grouped: dict[str, list[dict]] = {}
    for row in criteria.sort("reference_item_id").iter_rows(named=True):
        grouped.setdefault(row["query_id"], []).append(
            {
                "item_id": row["reference_item_id"],
                "query_id": row["query_id"],
                "tier": CRITERION_TIER,
                "title": "Physician criterion",
                "description": row["criterion"],
                "levels": CRITERION_LEVELS,
            }
        )
    return grouped


def is_met(level: float | None) -> bool | None:
    return None if level is None else level == MET_LEVEL


def verdict_frame(rows: list[dict]) -> pl.DataFrame:
    """judge_verdicts-style rows of ``judge_responses`` -> healthbench_verdicts rows."""
    out = [
        {
            "response_id": r["response_id"],
            "criterion_id": r["item_id"],
            "judge_model": r["judge_model"],
            "mode": r["mode"],
            "level": r["level"],
            "met": is_met(r["level"]),
            "rationale": r["rationale"],
            "status": r["status"],
        }
        for r in rows
    ]
    return pl.DataFrame(out, schema=VERDICT_SCHEMA)


def panel_met(verdicts: pl.DataFrame, criteria: pl.DataFrame) -> dict[tuple[str, str], bool | None]:
    """(response_id, criterion_id) -> met by the judges' majority level; all NULL -> NULL.
    Ties go to the more severe side: not met for a positive criterion, met for a negative
    one (``criteria``: reference_item_id, points)."""
    negative = set(criteria.filter(pl.col("points") < 0)["reference_item_id"].to_list())
    votes: dict[tuple[str, str], list[float | None]] = {}
    for r in verdicts.iter_rows(named=True):
        votes.setdefault((r["response_id"], r["criterion_id"]), []).append(r["level"])
    return {
        key: is_met(panel_vote(levels, harmful=key[1] in negative)[0])
        for key, levels in votes.items()
    }


def example_scores(
    verdicts: pl.DataFrame, criteria: pl.DataFrame, responses: pl.DataFrame
) -> pl.DataFrame:
    """One row per response of a query with criteria: its HealthBench example score
    (NULL when no criterion with positive points could be judged)."""
    met = panel_met(verdicts, criteria)
    by_query: dict[str, list[tuple[str, float]]] = {}
    for row in criteria.iter_rows(named=True):
        by_query.setdefault(row["query_id"], []).append((row["reference_item_id"], row["points"]))
    rows = []
    for r in responses.iter_rows(named=True):
        crits = by_query.get(r["query_id"])
        if not crits:
            continue
        flags = [met.get((r["response_id"], cid)) for cid, _ in crits]
        rows.append(
            {
                **{k: r[k] for k in ("response_id", "query_id", "candidate_model")},
                "is_baseline": r["is_baseline"],
                "n_criteria": len(crits),
                "n_judged": sum(f is not None for f in flags),
                "score": example_score([p for _, p in crits], flags),
            }
        )
    return pl.DataFrame(rows, schema=EXAMPLE_SCHEMA)


def model_scores(
    examples: pl.DataFrame, judges: list[str], baseline_judges: bool, prompt_version: str
) -> pl.DataFrame:
    """Per candidate model: clipped mean of example scores, bootstrap std, n, coverage."""
    rows = []
    for (model,), group in examples.sort("response_id").group_by(
        "candidate_model", maintain_order=True
    ):
        stats = overall(group["score"].to_list())
        n_criteria = int(group["n_criteria"].sum())
        rows.append(
            {
                "candidate_model": model,
                "is_baseline": bool(group["is_baseline"].any()),
                "baseline_judges": baseline_judges,
                "n_responses": group.height,
                "n_examples": stats["n"],
                "score": stats["score"],
                "bootstrap_std": stats["bootstrap_std"],
                "coverage": int(group["n_judged"].sum()) / n_criteria if n_criteria else None,
                "judge_models": ", ".join(judges),
                "judge_prompt_version": prompt_version,
            }
        )
    schema = {
        "candidate_model": pl.String,
        "is_baseline": pl.Boolean,
        "baseline_judges": pl.Boolean,
        "n_responses": pl.Int32,
        "n_examples": pl.Int32,
        "score": pl.Float64,
        "bootstrap_std": pl.Float64,
        "coverage": pl.Float64,
        "judge_models": pl.String,
        "judge_prompt_version": pl.String,
    }
    return pl.DataFrame(rows, schema=schema).sort("candidate_model")


def healthbench_stage(
    gateway: Gateway,
    judges: list[str],
    baseline_judges: bool,
    queries: pl.DataFrame,
    responses: pl.DataFrame,
    criteria: pl.DataFrame,
    mode: str = "batched",
    seed: int = 0,
) -> HealthBenchOutput:
    """Judge every response of a query with criteria against them, then score.

    responses: response_id, query_id, candidate_model, is_baseline, response_text (answered
    responses only); criteria: reference_item_id, query_id, criterion, points.
    """
    responses = responses.filter(pl.col("query_id").is_in(criteria["query_id"].implode()))
    rows = judge_responses(
        gateway,
        judges,
        response_payloads(queries, responses),
        criteria_items(criteria),
        mode=mode,
        seed=seed,
    )
    verdicts = verdict_frame(rows)
    examples = example_scores(verdicts, criteria, responses)
    scores = model_scores(examples, judges, baseline_judges, prompt_version(mode))
    return HealthBenchOutput(verdicts, examples, scores)
