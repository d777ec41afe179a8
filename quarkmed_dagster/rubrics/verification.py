"""Evidence cross-verification: combine the verifiers' votes on one kept cluster.

Rule (safety first): a contradiction that supports do not outnumber wins (a tie between
"supported" and "contradicted" counts as contradicted); "supported" needs more supports
than contradictions and at least as many as "not_found" votes; otherwise "not_found".
When no verifier answered, the status is "flagged" (verification missing, not a verdict).
Contradicted clusters are always dropped; not_found ones are dropped or kept by policy.
"""

from __future__ import annotations

from quarkmed_dagster.llm.payloads import VerifierOutput
from quarkmed_dagster.rubrics.config import UnsupportedPolicy
from quarkmed_dagster.rubrics.records import Verification


def combine_votes(
    cluster_id: str,
    outputs: dict[str, VerifierOutput | None],
    evidence_ids: set[str],
) -> Verification:
    votes = {model: (out.verdict if out else None) for model, out in outputs.items()}
    supported = sum(v == "supported" for v in votes.values())
    contradicted = sum(v == "contradicted" for v in votes.values())
    not_found = sum(v == "not_found" for v in votes.values())
    if supported + contradicted + not_found == 0:
        status = "flagged"
    elif contradicted >= max(supported, 1):
        status = "contradicted"
    elif supported > contradicted and supported >= not_found:
        status = "supported"
    else:
        status = "not_found"
    wanted = {"supported": "supported", "contradicted": "contradicted"}.get(status)
    passage_ids = sorted(
        {
            pid
            for out in outputs.values()
            if out is not None and out.verdict == wanted
            for pid in out.passage_ids
            if pid in evidence_ids
        }
    )
    return Verification(cluster_id, status, tuple(passage_ids), votes)


def keeps(verification: Verification, policy: UnsupportedPolicy) -> bool:
    """Whether a verified cluster may become a rubric item."""
    if verification.status == "contradicted":
        return False
    if verification.status == "not_found":
        return policy == "flag"
    return True
