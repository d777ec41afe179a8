"""The ``reverify`` refresh policy: re-check a current rubric against new evidence.

When a query's evidence fingerprint changed but its rubric configuration did not, the
knowledge points its current rubric's items rest on are checked against the new evidence
in one batched call per configured verifier (all points and the new top-k passages in one
prompt), and the votes are combined exactly as at generation (``verification``). The
rubric is kept (carried forward as 'reverified', with the new supporting passages) only
when every point still holds: none contradicted, and supported, or not found where the
stage's ``unsupported_policy`` is 'flag'. A failed or unusable call (missing, duplicate or
left-out verdicts) is never a pass: such queries, and those whose points no longer hold,
are regenerated the normal way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quarkmed_dagster.baselines.payloads import BatchVerifierOutput, VerifierOutput
from quarkmed_dagster.llm.types import CallResult, Gateway
from quarkmed_dagster.rubrics.config import RubricConfig
from quarkmed_dagster.rubrics.items import item_verification
from quarkmed_dagster.rubrics.records import QueryInput
from quarkmed_dagster.rubrics.requests import parse_output, reverify_request
from quarkmed_dagster.rubrics.verification import combine_votes, keeps


@dataclass(frozen=True)
class ReverifyTarget:
    """A current rubric to re-check: its items and the points (cluster texts) they cite."""

    query: QueryInput  # with the new evidence
    from_version: str
    items: dict[str, tuple[str, ...]]  # item_id (under from_version) -> cited cluster ids
    points: dict[str, str]  # cluster_id -> text


@dataclass(frozen=True)
class ReverifyDecision:
    query_id: str
    from_version: str
    # still_supported (kept) | verifier_failed | contradicted | unsupported | no_points
    reason: str
    # kept rubrics: item_id -> (verification, supporting passage ids in the new evidence)
    items: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def kept(self) -> bool:
        return self.reason == "still_supported"


def batch_verdicts(result: CallResult, point_ids: list[str]) -> dict[str, VerifierOutput] | None:
    """Point id -> verdict of a batched call; None (missing) unless every point has exactly
    one verdict (verdicts for unknown points are ignored)."""
    output = parse_output(result, BatchVerifierOutput)
    if output is None:
        return None
    wanted = set(point_ids)
    found: dict[str, VerifierOutput] = {}
    for verdict in output.verdicts:
        if verdict.point_id not in wanted:
            continue
        if verdict.point_id in found:
            return None  # two answers for one point: not a usable reply
        found[verdict.point_id] = VerifierOutput(
            verdict=verdict.verdict, passage_ids=verdict.passage_ids
        )
    return found if set(found) == wanted else None


def decide(
    target: ReverifyTarget,
    outputs: dict[str, dict[str, VerifierOutput] | None],
    config: RubricConfig,
) -> ReverifyDecision:
    """Keep or regenerate, from each verifier's verdicts (None = that call failed)."""
    query_id, source = target.query.query_id, target.from_version
    cited = {c for clusters in target.items.values() for c in clusters}
    if not target.items or not all(target.items.values()) or not cited <= set(target.points):
        return ReverifyDecision(query_id, source, "no_points")
    if not outputs or any(out is None for out in outputs.values()):
        return ReverifyDecision(query_id, source, "verifier_failed")
    evidence_ids = {p.passage_id for p in target.query.evidence}
    checks = {
        cid: combine_votes(cid, {m: out[cid] for m, out in outputs.items() if out}, evidence_ids)
        for cid in sorted(cited)
    }
    if any(check.status == "contradicted" for check in checks.values()):
        return ReverifyDecision(query_id, source, "contradicted")
    if not all(keeps(check, config.params.unsupported_policy) for check in checks.values()):
        return ReverifyDecision(query_id, source, "unsupported")
    items = {}
    for item_id, clusters in target.items.items():
        passages = sorted({pid for c in clusters for pid in checks[c].passage_ids})
        statuses = {checks[c].status for c in clusters}
        items[item_id] = (item_verification(statuses), tuple(passages))
    return ReverifyDecision(query_id, source, "still_supported", items)


def reverify_rubrics(
    targets: list[ReverifyTarget], config: RubricConfig, gateway: Gateway
) -> list[ReverifyDecision]:
    """One batched call per target and verifier (all targets sent to the gateway at once)."""
    planned = [
        (target, verifier, reverify_request(target.query, verifier, target.points, config.params))
        for target in targets
        if target.points
        for verifier in config.models.verifiers
    ]
    results = gateway.run([request for _, _, request in planned]) if planned else []
    outputs: dict[str, dict[str, dict[str, VerifierOutput] | None]] = {}
    for (target, verifier, _), result in zip(planned, results, strict=True):
        verdicts = batch_verdicts(result, sorted(target.points))
        outputs.setdefault(target.query.query_id, {})[verifier] = verdicts
    return [decide(t, outputs.get(t.query.query_id, {}), config) for t in targets]
