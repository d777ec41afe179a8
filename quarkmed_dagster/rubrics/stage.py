"""The rubric stage over the warehouse: plan, cost guard, generate in chunks, write.

Used by the Dagster asset (and runnable without Dagster). Queries whose rubric set is
unchanged are skipped, those whose only change is the corpus version are carried forward,
those whose evidence changed are re-checked under the ``reverify`` refresh policy (kept
when their rubric still holds, see ``reverify``), the rest are generated in bounded chunks,
each chunk written at once (a crash loses at most one chunk's rows, and the call cache
makes the rerun of that chunk free of finished calls). Each chunk runs its rounds (answers,
points, verification, writing) one after the other, so a round waits for its slowest call:
chunks of 512 queries keep the deployments' concurrency busy (64 left about half of 128
slots idle at 0.5-8 s model latency). Unchanged queries whose rubric every candidate
failed (calibration scores) get one calibration round, or go to review when that round was
already done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from quarkmed_dagster.llm.types import Gateway
from quarkmed_dagster.rubrics.calibration import plan_calibration
from quarkmed_dagster.rubrics.config import ConsensusParams, RubricConfig, RubricModels
from quarkmed_dagster.rubrics.consensus import Encoder
from quarkmed_dagster.rubrics.cost import planned_calls
from quarkmed_dagster.rubrics.frames import outcome_frames
from quarkmed_dagster.rubrics.incremental import Plan, plan_queries
from quarkmed_dagster.rubrics.inputs import load_query_inputs
from quarkmed_dagster.rubrics.pipeline import (
    TRANSIENT_REASONS,
    DeeperRetriever,
    generate_rubrics,
)
from quarkmed_dagster.rubrics.prompting import prompt_versions
from quarkmed_dagster.rubrics.records import QueryInput, QueryOutcome
from quarkmed_dagster.rubrics.requests import candidate_requests
from quarkmed_dagster.rubrics.reverify import reverify_rubrics
from quarkmed_dagster.rubrics.store import (
    calibration_scores,
    carried_frames,
    item_checks_frame,
    reverify_targets,
    rubric_sets,
    send_to_review,
    write_frames,
)
from quarkmed_dagster.warehouse import Warehouse


@dataclass
class StageReport:
    queries: int = 0
    generated: int = 0
    carried: int = 0
    unchanged: int = 0
    items: int = 0
    reviews: dict[str, int] = field(default_factory=dict)
    repaired: int = 0
    regenerated: int = 0
    calibration_rounds: int = 0
    planned_calls: dict[str, int] = field(default_factory=dict)
    estimate: str = ""
    versions: list[str] = field(default_factory=list)
    stopped_by_budget: str | None = None
    failed: int = 0  # failed calls or budget: not reviewed, retried by the next run
    refresh_policy: str = "regenerate"
    reverified: int = 0  # evidence changed, rubric re-checked and kept
    pruned_items: int = 0  # items of kept rubrics dropped: their points lost support
    # evidence changed, re-check did not keep the rubric: reason -> queries regenerated
    reverify_regenerated: dict[str, int] = field(default_factory=dict)


def models_from_roles(models_of: Callable[[str], Sequence[str]]) -> RubricModels:
    """Role -> model lists (from the models config) as the rubric stage's models."""
    writers = list(models_of("rubric_writer"))
    if not writers:
        raise ValueError("the models config names no rubric_writer")
    equivalence = list(models_of("equivalence"))  # optional: empty = clustering only
    return RubricModels(
        generators=list(models_of("generators")),
        aggregators=list(models_of("aggregators")),
        verifiers=list(models_of("verifiers")),
        rubric_writer=writers[0],
        equivalence=equivalence[0] if equivalence else None,
    )


def cost_guard(
    gateway: Gateway, queries: list, config: RubricConfig, log: Callable[[str], None]
) -> tuple[dict[str, int], str]:
    """Log planned calls per role/model and the gateway's estimate of the generation step."""
    plan = planned_calls(len(queries), config)
    summary = {f"{role}:{model}": n for (role, model), n in sorted(plan.items())}
    log(f"rubric run plan: {len(queries)} queries, ~{sum(plan.values())} calls: {summary}")
    estimate_fn: Any = getattr(gateway, "estimate", None)
    described = ""
    if estimate_fn is not None and queries:
        requests = [
            r
            for q in queries
            for _, r in candidate_requests(q, config.models.generators, config.params, 0)
        ]
        estimate = estimate_fn(requests)
        described = f"candidate answers {estimate.describe()}"
        share = len(requests) / max(1, sum(plan.values()))
        described += f"; whole run ~${estimate.cost_usd / max(share, 1e-9):.4f} at these prices"
        log(described)
    return summary, described


def _failed_calibration(outcome: QueryOutcome) -> bool:
    transient = outcome.review is not None and outcome.review.reason in TRANSIENT_REASONS
    return transient and outcome.calibration_score is not None


def reverify_changed(
    warehouse: Warehouse,
    gateway: Gateway,
    config: RubricConfig,
    plan: Plan,
    version_of: dict[str, str],
    report: StageReport,
    log: Callable[[str], None],
) -> list[QueryInput]:
    """Re-check the plan's ``reverify`` queries; write the kept ones as 'reverified' and
    return the others (to be regenerated)."""
    targets = reverify_targets(warehouse, plan.reverify)
    calls = len(targets) * len(config.models.verifiers)
    log(f"reverify: {len(targets)} queries with changed evidence, {calls} batched calls")
    decisions = reverify_rubrics(targets, config, gateway)
    kept = [d for d in decisions if d.kept]
    by_id = {q.query_id: q for q, _ in plan.reverify}
    if kept:
        moves = plan.moves(version_of, [(by_id[d.query_id], d.from_version) for d in kept])
        frames = carried_frames(warehouse, moves, "reverified", "reverify", item_checks_frame(kept))
        write_frames(warehouse, frames)
    report.reverified = len(kept)
    report.pruned_items = sum(len(d.dropped) for d in kept)
    for decision in decisions:
        if not decision.kept:
            reasons = report.reverify_regenerated
            reasons[decision.reason] = reasons.get(decision.reason, 0) + 1
    log(
        f"reverify: {len(kept)} kept ({report.pruned_items} unsupported items dropped), "
        f"regenerated {report.reverify_regenerated}"
    )
    return [by_id[d.query_id] for d in decisions if not d.kept]


def run_rubric_stage(
    warehouse: Warehouse,
    gateway: Gateway,
    models: RubricModels,
    params: ConsensusParams,
    embed: Encoder,
    deeper: DeeperRetriever | None = None,
    log: Callable[[str], None] = print,
    force: bool = False,
    chunk_size: int = 512,
    max_queries: int | None = None,
    query_ids: list[str] | None = None,
) -> StageReport:
    """``query_ids`` restricts the run to those queries (a scheduled refresh batch)."""
    config = RubricConfig(models=models, params=params)
    prompts = prompt_versions()
    config_hash = config.config_hash(prompts)
    inputs = load_query_inputs(warehouse, query_ids)
    version_of = {q.corpus_version: config.rubric_set_version(prompts, q.corpus_version)
                  for q in inputs}  # fmt: skip
    policy = params.refresh_policy
    plan = plan_queries(inputs, rubric_sets(warehouse), config_hash, version_of, force, policy)
    calibration = plan_calibration(
        plan.unchanged, calibration_scores(warehouse), version_of, params.min_calibration_score
    )
    plan.generate += [q for q in plan.unchanged if q.query_id in calibration.rounds]
    plan.unchanged = [q for q in plan.unchanged if q.query_id not in calibration.rounds]
    report = StageReport(
        queries=len(inputs),
        carried=len(plan.carry),
        unchanged=len(plan.unchanged),
        versions=sorted(set(version_of.values())),
        refresh_policy=policy,
    )
    if plan.reverify:
        plan.generate += reverify_changed(warehouse, gateway, config, plan, version_of, report, log)
    todo = plan.generate[:max_queries] if max_queries is not None else plan.generate
    if plan.carry:
        frames = carried_frames(warehouse, plan.moves(version_of), refresh_policy=policy)
        write_frames(warehouse, frames)
        log(f"carried {len(plan.carry)} unchanged rubrics to the new corpus version")
    if calibration.reviews.height:
        send_to_review(warehouse, calibration.reviews)
        report.reviews["low_calibration"] = calibration.reviews.height
        log(f"{calibration.reviews.height} calibrated rubrics still score low: sent to review")
    if calibration.rounds:
        log(f"{len(calibration.rounds)} rubrics scored low: calibration round (deeper retrieval)")
    report.planned_calls, report.estimate = cost_guard(gateway, todo, config, log)
    for verifier in config.models.verifiers if plan.reverify else []:  # already made above
        report.planned_calls[f"verifiers:{verifier}:reverify"] = len(plan.reverify)
    for start in range(0, len(todo), chunk_size):
        chunk = todo[start : start + chunk_size]
        outcomes = generate_rubrics(
            chunk, config, gateway, embed, prompts, deeper, calibration.rounds
        )
        # a calibration round that failed on calls or budget is not written: it would
        # replace the scored rubric (same version); the round is tried again next run
        written = [o for o in outcomes.values() if not _failed_calibration(o)]
        frames = outcome_frames(
            written, version_of, config_hash, config.uses_baseline(), refresh_policy=policy
        )
        write_frames(warehouse, frames)
        for outcome in outcomes.values():
            report.generated += 1
            report.calibration_rounds += int(outcome.calibration_score is not None)
            report.items += len(outcome.items)
            report.repaired += int(outcome.repaired)
            report.regenerated += int(outcome.rounds > 1)
            if outcome.review is None:
                continue
            if outcome.review.reason in TRANSIENT_REASONS:
                report.failed += 1
            else:
                reason = outcome.review.reason
                report.reviews[reason] = report.reviews.get(reason, 0) + 1
        log(f"rubrics: {start + len(chunk)}/{len(todo)} queries generated")
        summary = getattr(gateway, "last_summary", None)
        if summary is not None and getattr(summary, "stopped_by_budget", None):
            report.stopped_by_budget = str(summary.stopped_by_budget)
            log(f"run budget exhausted ({report.stopped_by_budget}); remaining queries wait")
            break
    return report
