"""Gateway requests of each rubric step, and reading their results back.

Payloads follow the shared schemas in ``quarkmed_dagster.llm.payloads`` so real LLMs
and the offline baselines receive the same data. A failed or unparseable call reads back
as ``None``: a missing value, never a default answer.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from quarkmed_dagster.llm.payloads import (
    AnswerOutput,
    AnswerPayload,
    BatchVerifierOutput,
    BatchVerifierPayload,
    KeypointsOutput,
    KeypointsPayload,
    PointText,
    RubricOutput,
    RubricPayload,
    RubricPoint,
    Turn,
    VerifierOutput,
    VerifierPayload,
)
from quarkmed_dagster.llm.payloads import (
    CandidateAnswer as PayloadAnswer,
)
from quarkmed_dagster.llm.payloads import (
    Passage as PayloadPassage,
)
from quarkmed_dagster.llm.types import CallRequest, CallResult, stable_hash
from quarkmed_dagster.rubrics.config import ConsensusParams
from quarkmed_dagster.rubrics.prompting import (
    CANDIDATE_PROMPTS,
    EQUIVALENCE_PROMPT,
    KEYPOINTS_PROMPT,
    REPAIR_PROMPT,
    REVERIFY_PROMPT,
    VERIFY_PROMPT,
    WRITE_PROMPT,
    build_messages,
    prompt_version,
)
from quarkmed_dagster.rubrics.records import CandidateAnswer, Cluster, QueryInput, Verification

OutputT = TypeVar("OutputT", bound=BaseModel)


class EquivalenceOutput(BaseModel):
    equivalent: bool


def parse_output(result: CallResult, schema: type[OutputT]) -> OutputT | None:
    """The validated output of an ok call, else None (missing)."""
    if not result.ok:
        return None
    raw: Any = result.parsed
    if raw is None and result.text:
        try:
            raw = json.loads(result.text)
        except json.JSONDecodeError:
            return None
    try:
        return schema.model_validate(raw)
    except ValidationError:
        return None


@cache
def _schema_text(schema: type[BaseModel]) -> str:
    return json.dumps(schema.model_json_schema())


def _json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """A fresh copy of the output model's schema, built once (pydantic takes ~2 ms a call)."""
    return json.loads(_schema_text(schema))


def _request(
    role: str,
    model: str,
    template: str,
    payload: BaseModel | dict,
    schema: type[BaseModel],
    sample_index: int = 0,
) -> CallRequest:
    data = payload.model_dump() if isinstance(payload, BaseModel) else payload
    return CallRequest(
        role=role,
        model=model,
        messages=build_messages(template, data),
        prompt_version=prompt_version(template),
        params={"temperature": 0.7 if role == "generators" else 0.0},
        sample_index=sample_index,
        json_schema=_json_schema(schema),
    )


def evidence_payload(query: QueryInput, params: ConsensusParams) -> list[PayloadPassage]:
    return [
        PayloadPassage(passage_id=p.passage_id, text=p.text[: params.max_evidence_chars])
        for p in query.evidence[: params.max_evidence_passages]
    ]


def answer_id(query_id: str, round_: int, generator: str, persona: str, sample: int) -> str:
    return "ans-" + stable_hash([query_id, round_, generator, persona, sample])


def candidate_requests(
    query: QueryInput, generators: list[str], params: ConsensusParams, round_: int
) -> list[tuple[dict[str, Any], CallRequest]]:
    """N generators x P personas x R samples; later rounds draw fresh sample indices."""
    payload = AnswerPayload(
        query=query.text,
        history=[Turn(**turn) for turn in query.history],
        evidence=evidence_payload(query, params),
    )
    out = []
    for generator in generators:
        for persona in params.personas:
            # The persona also travels as data (an extra payload key) so that offline
            # baselines, which never read the instructions, can answer in its style.
            persona_payload = {**payload.model_dump(), "persona": persona}
            for sample in range(params.samples):
                index = sample + round_ * params.samples
                meta = {
                    "answer_id": answer_id(query.query_id, round_, generator, persona, sample),
                    "generator": generator,
                    "persona": persona,
                    "sample_index": index,
                }
                request = _request(
                    "generators",
                    generator,
                    CANDIDATE_PROMPTS[persona],
                    persona_payload,
                    AnswerOutput,
                    sample_index=index,
                )
                out.append((meta, request))
    return out


def keypoint_request(
    query: QueryInput, aggregator: str, answers: list[CandidateAnswer]
) -> CallRequest:
    payload = KeypointsPayload(
        query=query.text,
        answers=[PayloadAnswer(answer_id=a.answer_id, text=a.text or "") for a in answers],
    )
    return _request("aggregators", aggregator, KEYPOINTS_PROMPT, payload, KeypointsOutput)


def verify_request(
    query: QueryInput, verifier: str, cluster: Cluster, params: ConsensusParams
) -> CallRequest:
    payload = VerifierPayload(point=cluster.text, evidence=evidence_payload(query, params))
    return _request("verifiers", verifier, VERIFY_PROMPT, payload, VerifierOutput)


def reverify_request(
    query: QueryInput, verifier: str, points: dict[str, str], params: ConsensusParams
) -> CallRequest:
    """All points of one rubric (point_id -> text) against the query's new evidence."""
    payload = BatchVerifierPayload(
        query=query.text,
        points=[PointText(point_id=pid, text=text) for pid, text in sorted(points.items())],
        evidence=evidence_payload(query, params),
    )
    return _request("verifiers", verifier, REVERIFY_PROMPT, payload, BatchVerifierOutput)


def equivalence_request(query: QueryInput, model: str, a: str, b: str) -> CallRequest:
    payload = {"query": query.text, "a": a, "b": b}
    return _request("equivalence", model, EQUIVALENCE_PROMPT, payload, EquivalenceOutput)


def writer_payload(
    query: QueryInput, clusters: list[Cluster], verifications: dict[str, Verification]
) -> dict[str, Any]:
    points = []
    for cluster in clusters:
        point = RubricPoint(
            point_id=cluster.cluster_id,
            text=cluster.text,
            kind=cluster.kind,  # type: ignore[arg-type]
            support=cluster.support_count,
        ).model_dump()
        check = verifications.get(cluster.cluster_id)
        point["verification"] = check.status if check else None
        point["passage_ids"] = list(check.passage_ids) if check else []
        points.append(point)
    payload = RubricPayload(query=query.text, points=[], is_multi_turn=query.is_multi_turn)
    data = payload.model_dump()
    data["points"] = points
    data["history"] = list(query.history)
    data["language"] = query.language
    return data


def write_request(writer: str, payload: dict[str, Any]) -> CallRequest:
    return _request("rubric_writer", writer, WRITE_PROMPT, payload, RubricOutput)


def repair_request(
    writer: str, payload: dict[str, Any], previous_items: list[dict], violations: list[str]
) -> CallRequest:
    data = {**payload, "previous_items": previous_items, "violations": violations}
    return _request("rubric_writer", writer, REPAIR_PROMPT, data, RubricOutput)
