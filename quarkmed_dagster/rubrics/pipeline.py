"""Rubric generation for a set of queries, with the closed calibration loop.

Round 0 for every query; queries whose generators disagree (agreement below the minimum),
that keep too few verified points, or whose previous rubric scored every candidate too low
(a calibration round, see ``calibration``) get a deeper retrieval and one regeneration
round. What still does not converge goes to review (a calibrated rubric is judged again
once it has been re-scored). Converged queries get a written rubric; a
rubric that breaks the constraints is repaired once by the writer, else goes to review.
Items of queries in review are not emitted: ``rubric_items`` holds only valid sets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from quarkmed_dagster.llm.types import CallResult, Gateway
from quarkmed_dagster.rubrics.config import RubricConfig
from quarkmed_dagster.rubrics.consensus import Encoder
from quarkmed_dagster.rubrics.items import build_items, item_to_payload, validate_items
from quarkmed_dagster.rubrics.records import (
    Cluster,
    Passage,
    QueryInput,
    QueryOutcome,
    ReviewEntry,
)
from quarkmed_dagster.rubrics.requests import repair_request, write_request, writer_payload
from quarkmed_dagster.rubrics.rounds import run_round, with_evidence
from quarkmed_dagster.rubrics.verification import keeps

# (query, k) -> deeper evidence, or None when the backend has nothing more to offer.
DeeperRetriever = Callable[[QueryInput, int], list[Passage] | None]


def kept_clusters(outcome: QueryOutcome, config: RubricConfig) -> list[Cluster]:
    policy = config.params.unsupported_policy
    return [
        c
        for c in outcome.clusters
        if c.included
        and c.cluster_id in outcome.verifications
        and keeps(outcome.verifications[c.cluster_id], policy)
    ]


# Reasons caused by infrastructure (failed calls, budget), not by the content: such queries
# are not sent to clinicians and are retried by the next run.
TRANSIENT_REASONS = frozenset({"over_budget", "no_candidate_answers", "writer_failed"})


def convergence_problem(outcome: QueryOutcome, config: RubricConfig) -> str | None:
    """Why a round did not converge (None when it did)."""
    # only the final round's answers: a regeneration round whose calls all failed is an
    # infrastructure failure (retried), even though round 0 had answers
    final = [a for a in outcome.answers if a.round == outcome.rounds - 1]
    if not any(a.text for a in final):
        over = any(a.status == "over_budget" for a in final)
        return "over_budget" if over else "no_candidate_answers"
    # answers came back, but no knowledge point could be taken from them (a weak model's
    # empty or unusable point lists): nothing to build a rubric from
    if not any(p.round == outcome.rounds - 1 for p in outcome.points):
        return "no_usable_points"
    if (outcome.agreement or 0.0) < config.params.min_agreement:
        return "low_agreement"
    if len(kept_clusters(outcome, config)) < config.params.min_items:
        return "insufficient_verified_points"
    return None


def _review_details(outcome: QueryOutcome, config: RubricConfig, **extra: Any) -> dict:
    return {
        "agreement": outcome.agreement,
        "rounds": outcome.rounds,
        "clusters": len(outcome.clusters),
        "included_clusters": sum(c.included for c in outcome.clusters),
        "kept_clusters": len(kept_clusters(outcome, config)),
        **extra,
    }


def run_consensus(
    queries: list[QueryInput],
    config: RubricConfig,
    gateway: Gateway,
    embed: Encoder,
    deeper: DeeperRetriever | None = None,
    calibrate: dict[str, float] | None = None,
) -> dict[str, QueryOutcome]:
    """Rounds 0 and (for non-converging queries) 1; earlier answers/points kept for trace.

    ``calibrate`` (query_id -> mean candidate score of its previous rubric) forces round 1
    for those queries, whatever round 0 gives, and records the score on the outcome.
    """
    calibrate = calibrate or {}
    outcomes = run_round(queries, config, gateway, embed, round_=0)
    retry = [
        o.query
        for o in outcomes.values()
        if o.query.query_id in calibrate or convergence_problem(o, config)
    ]
    if retry:
        deeper_queries = []
        for query in retry:
            extra = deeper(query, config.params.deeper_k) if deeper else None
            deeper_queries.append(with_evidence(query, extra) if extra else query)
        second = run_round(deeper_queries, config, gateway, embed, round_=1)
        for query_id, outcome in second.items():
            first = outcomes[query_id]
            outcome.answers = first.answers + outcome.answers
            outcome.points = first.points + outcome.points
            outcomes[query_id] = outcome
    for outcome in outcomes.values():
        outcome.calibration_score = calibrate.get(outcome.query.query_id)
        problem = convergence_problem(outcome, config)
        if problem:
            outcome.review = ReviewEntry(
                outcome.query.query_id, problem, _review_details(outcome, config)
            )
    return outcomes


def _raw_items(result: CallResult) -> list[Any] | None:
    """The writer's item list, or None when the call failed or is not a rubric."""
    if not result.ok:
        return None
    raw = result.parsed
    if raw is None and result.text:
        try:
            raw = json.loads(result.text)
        except json.JSONDecodeError:
            return None
    items = raw.get("items") if isinstance(raw, dict) else None
    return items if isinstance(items, list) else None


def write_rubrics(
    outcomes: dict[str, QueryOutcome],
    config: RubricConfig,
    gateway: Gateway,
    versions: dict[str, str],
) -> None:
    """Write, validate, repair once, else review (mutates the outcomes)."""
    todo = [o for o in outcomes.values() if o.review is None]
    payloads = {
        o.query.query_id: writer_payload(o.query, kept_clusters(o, config), o.verifications)
        for o in todo
    }
    writer = config.models.rubric_writer
    results = gateway.run([write_request(writer, payloads[o.query.query_id]) for o in todo])
    to_repair = []
    for outcome, result in zip(todo, results, strict=True):
        problems = _accept(outcome, _raw_items(result), config, versions)
        if problems:
            to_repair.append((outcome, problems))
    requests = [
        repair_request(
            writer,
            payloads[o.query.query_id],
            [item_to_payload(i) for i in o.items],
            problems,
        )
        for o, problems in to_repair
    ]
    repaired = gateway.run(requests) if requests else []
    for (outcome, first_problems), result in zip(to_repair, repaired, strict=True):
        outcome.repaired = True
        raw = _raw_items(result)
        problems = _accept(outcome, raw, config, versions)
        if problems:
            writer_failed = raw is None and outcome.items == [] and not result.ok
            outcome.review = ReviewEntry(
                outcome.query.query_id,
                "writer_failed" if writer_failed else "constraint_violation",
                _review_details(
                    outcome,
                    config,
                    violations_before_repair=first_problems,
                    violations_after_repair=problems,
                    rejected_items=[item_to_payload(i) for i in outcome.items],
                    dropped_untraceable=outcome.dropped_untraceable,
                ),
            )
            outcome.items = []


def _accept(
    outcome: QueryOutcome,
    raw_items: list[Any] | None,
    config: RubricConfig,
    versions: dict[str, str],
) -> list[str]:
    """Build and validate items into the outcome; returns the violations (empty = valid).

    Items that cite none of the kept points are dropped first (recorded on the outcome):
    an item nobody can trace to consensus and evidence never enters a rubric.
    """
    if raw_items is None:
        outcome.items = []
        return ["rubric writer returned no parseable rubric"]
    query = outcome.query
    clusters = {c.cluster_id: c for c in kept_clusters(outcome, config)}
    items, malformed = build_items(
        query.query_id,
        versions[query.corpus_version],
        raw_items,
        clusters,
        outcome.verifications,
    )
    outcome.items = [i for i in items if i.cluster_ids]
    outcome.dropped_untraceable = [i.title for i in items if not i.cluster_ids]
    return malformed + validate_items(outcome.items, query.is_multi_turn, config.params)


def generate_rubrics(
    queries: list[QueryInput],
    config: RubricConfig,
    gateway: Gateway,
    embed: Encoder,
    prompt_versions: dict[str, str],
    deeper: DeeperRetriever | None = None,
    calibrate: dict[str, float] | None = None,
) -> dict[str, QueryOutcome]:
    """The whole stage for a set of queries (each carries its corpus version)."""
    versions = {
        q.corpus_version: config.rubric_set_version(prompt_versions, q.corpus_version)
        for q in queries
    }
    outcomes = run_consensus(queries, config, gateway, embed, deeper, calibrate)
    write_rubrics(outcomes, config, gateway, versions)
    return outcomes
