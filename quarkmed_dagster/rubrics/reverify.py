"""The ``reverify`` refresh policy: re-check a current rubric against new evidence.

When a query's evidence fingerprint changed but its rubric configuration did not, the
knowledge points its current rubric's items rest on are checked against the new evidence
in one batched call per configured verifier (all points and the new top-k passages in one
prompt), and the votes are combined exactly as at generation (``verification``). The
rubric is kept (carried forward as 'reverified', with the new supporting passages) when
every point still holds: none contradicted, and supported, or not found where the stage's
``unsupported_policy`` is 'flag'. When no point is contradicted but some lost their
support, the items resting on them are dropped, as generation drops unsupported points; the
rest is kept ('pruned') if it still meets every rubric constraint. A failed or unusable
call (missing, duplicate or left-out verdicts) is never a pass: such queries, those with a
contradicted point and those whose pruned rubric breaks a constraint are regenerated the
normal way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quarkmed_dagster.llm.payloads import BatchVerifierOutput, VerifierOutput
from quarkmed_dagster.llm.types import CallResult, Gateway
from quarkmed_dagster.rubrics.config import RubricConfig
from quarkmed_dagster.rubrics.items import item_verification, validate_items
from quarkmed_dagster.rubrics.records import QueryInput, RubricItem
from quarkmed_dagster.rubrics.requests import parse_output, reverify_request
from quarkmed_dagster.rubrics.verification import combine_votes, keeps


@dataclass(frozen=True)
class ReverifyTarget:
    """A current rubric to re-check: its items and the points (cluster texts) they cite."""

    query: QueryInput  # with the new evidence
    from_version: str
    items: dict[str, tuple[str, ...]]  # item_id (under from_version) -> cited cluster ids
    points: dict[str, str]  # cluster_id -> text
    stored: dict[str, RubricItem] = field(default_factory=dict)  # item_id -> the item


@dataclass(frozen=True)
class ReverifyDecision:
    query_id: str
    from_version: str
    # kept: still_supported | pruned; regenerated: verifier_failed | contradicted |
    # unsupported (pruning would break a constraint) | no_points
    reason: str
    # kept rubrics: item_id -> (verification, supporting passage ids in the new evidence)
    items: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()  # pruned: items whose points lost their support

    @property
    def kept(self) -> bool:
        return self.reason in ("still_supported", "pruned")


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
    lost = {c for c, check in checks.items() if not keeps(check, config.params.unsupported_policy)}
    dropped = tuple(i for i, clusters in target.items.items() if lost & set(clusters))
    if dropped and not _prunable(target, dropped, config):
        return ReverifyDecision(query_id, source, "unsupported")
    items = {}
    for item_id, clusters in target.items.items():
        if item_id in dropped:
            continue
        passages = sorted({pid for c in clusters for pid in checks[c].passage_ids})
        statuses = {checks[c].status for c in clusters}
        items[item_id] = (item_verification(statuses), tuple(passages))
    reason = "pruned" if dropped else "still_supported"
    return ReverifyDecision(query_id, source, reason, items, dropped)


def _prunable(target: ReverifyTarget, dropped: tuple[str, ...], config: RubricConfig) -> bool:
    """Whether the items left after dropping ``dropped`` still meet every constraint."""
    if set(target.stored) != set(target.items):
        return False  # the stored items are not all known: never prune blind
    left = [item for item_id, item in target.stored.items() if item_id not in dropped]
    return not validate_items(left, target.query.is_multi_turn, config.params)


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
