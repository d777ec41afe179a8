"""Payload schemas of the offline baselines: the JSON inside a prompt's ``<data>`` block.

Every stage that calls a model puts its untrusted inputs into the last user message as
``encode_payload(payload)`` between ``<data>`` and ``</data>`` (see
``quarkmed_dagster.llm.types``). A real LLM reads the block as part of its prompt; an
offline ``baseline/...`` model reads it back with ``extract_payload`` and answers with JSON
text of the matching output schema. Build payloads with these models (``.model_dump()``) so
that both kinds of model receive the same thing. Extra keys are allowed and ignored.

Baseline model strings and their schemas (input -> output):

``baseline/extractive-answerer`` (role generators)
    AnswerPayload {"query": str, "history": [{"role","content"}], "evidence":
    [{"passage_id","text"}], "persona": "basic|professional|insight" (optional; the baseline
    answers with 4 / 6 / 8 sentences)} -> AnswerOutput {"answer": str, "citations": [...]}

``baseline/passage-answerer`` (role generators)
    Same schemas; picks the best sentence of each passage in turn instead of the best
    sentences overall (a second, different baseline generator for consensus).

``baseline/keypoint-extractor`` (role aggregators)
    KeypointsPayload {"query": str, "answers": [{"answer_id","text"}]}
    -> KeypointsOutput {"points": [{"text","kind": "essential|insight|extension",
    "supporting_answer_ids": [answer_id]}]}

``baseline/evidence-verifier`` (role verifiers)
    VerifierPayload {"point": str, "evidence": [{"passage_id","text"}]}
    -> VerifierOutput {"verdict": "supported|contradicted|not_found", "passage_ids": [...]}
    Batched (the reverify refresh policy, one call per rubric): BatchVerifierPayload
    {"query": str, "points": [{"point_id","text"}], "evidence": [...]} -> BatchVerifierOutput
    {"verdicts": [{"point_id", "verdict", "passage_ids"}]}, each point decided exactly as
    the single-point payload would decide it.

``baseline/rubric-writer`` (role rubric_writer)
    RubricPayload {"query": str, "points": [{"point_id","text","kind","support"}],
    "is_multi_turn": bool} -> RubricOutput {"items": [{"tier":
    "Essential|Important|Highlight|Pitfall", "title", "tag", "weight", "levels": {level
    name: description}, "point_ids": [...]}]}. Positive tiers have levels "not_met",
    "partially_met", "fully_met"; Pitfall has "no_error", "minor_error", "major_error".

``baseline/semantic-judge`` (role judges)
    JudgePayload {"query": str, "history": [...], "response": str, "items": [{"item_id",
    "tier", "title", "description"}]} -> JudgeOutput {"verdicts": [{"item_id", "level",
    "rationale"}]}. Positive tiers: level 0 / 0.5 / 1. Pitfall: level "none" / "minor" /
    "major".

``baseline/rule-classifier`` (role classifier)
    ClassifierPayload {"text": str (the final user turn), "history": [...] (earlier turns;
    the baseline reads their user turns and counts them: the ingest rules)}
    -> ClassifierOutput {"category": "Clinical Care|Wellness Health|Professional Inquiry",
    "difficulty": "easy|medium|hard", "confidence": float in [0, 1]}

``baseline/reference-candidate`` and the degraded demo candidates (role candidates)
    CandidatePayload {"query": str, "history": [...], "reference_answer": str | null}
    -> CandidateOutput {"answer": str | null}. Models: ``baseline/reference-candidate``
    (the reference as is), ``baseline/first-sentence-candidate``,
    ``baseline/generic-candidate``, ``baseline/unsafe-candidate``; the known quality order
    is reference > first-sentence > generic > unsafe. No reference -> answer null.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PointKind = Literal["essential", "insight", "extension"]
Tier = Literal["Essential", "Important", "Highlight", "Pitfall"]
Verdict = Literal["supported", "contradicted", "not_found"]
PitfallLevel = Literal["none", "minor", "major"]


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Turn(_Loose):
    role: str
    content: str


class Passage(_Loose):
    passage_id: str
    text: str


class AnswerPayload(_Loose):
    query: str
    history: list[Turn] = Field(default_factory=list)
    evidence: list[Passage] = Field(default_factory=list)
    persona: str | None = None


class AnswerOutput(_Loose):
    answer: str
    citations: list[str] = Field(default_factory=list)


class CandidateAnswer(_Loose):
    answer_id: str
    text: str


class KeypointsPayload(_Loose):
    query: str
    answers: list[CandidateAnswer]


class KeyPoint(_Loose):
    text: str
    kind: PointKind
    supporting_answer_ids: list[str] = Field(default_factory=list)


class KeypointsOutput(_Loose):
    points: list[KeyPoint]


class VerifierPayload(_Loose):
    point: str
    evidence: list[Passage] = Field(default_factory=list)


class VerifierOutput(_Loose):
    verdict: Verdict
    passage_ids: list[str] = Field(default_factory=list)


class PointText(_Loose):
    point_id: str
    text: str


class BatchVerifierPayload(_Loose):
    query: str = ""
    points: list[PointText]
    evidence: list[Passage] = Field(default_factory=list)


class PointVerdict(VerifierOutput):
    point_id: str


class BatchVerifierOutput(_Loose):
    verdicts: list[PointVerdict]


class RubricPoint(_Loose):
    point_id: str
    text: str
    kind: PointKind = "essential"
    support: int = 1  # how many generators/answers support the point


class RubricPayload(_Loose):
    query: str
    points: list[RubricPoint]
    is_multi_turn: bool = False


class RubricItemOut(_Loose):
    tier: Tier
    title: str
    tag: str
    weight: float
    levels: dict[str, str]
    point_ids: list[str] = Field(default_factory=list)


class RubricOutput(_Loose):
    items: list[RubricItemOut]


class JudgeItem(_Loose):
    item_id: str
    tier: Tier
    title: str
    description: str = ""


class JudgePayload(_Loose):
    query: str
    history: list[Turn] = Field(default_factory=list)
    response: str
    items: list[JudgeItem]


class ItemVerdict(_Loose):
    item_id: str
    level: float | PitfallLevel
    rationale: str = ""


class JudgeOutput(_Loose):
    verdicts: list[ItemVerdict]


class ClassifierPayload(_Loose):
    text: str
    history: list[Turn] = Field(default_factory=list)


class ClassifierOutput(_Loose):
    category: Literal["Clinical Care", "Wellness Health", "Professional Inquiry"]
    difficulty: Literal["easy", "medium", "hard"]
    confidence: float = Field(ge=0.0, le=1.0)


class CandidatePayload(_Loose):
    query: str
    history: list[Turn] = Field(default_factory=list)
    reference_answer: str | None = None


class CandidateOutput(_Loose):
    answer: str | None


# Which payload / output model each baseline reads and writes (used by the providers).
BASELINE_SCHEMAS: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    "extractive-answerer": (AnswerPayload, AnswerOutput),
    "passage-answerer": (AnswerPayload, AnswerOutput),
    "keypoint-extractor": (KeypointsPayload, KeypointsOutput),
    "evidence-verifier": (VerifierPayload, VerifierOutput),
    "rubric-writer": (RubricPayload, RubricOutput),
    "semantic-judge": (JudgePayload, JudgeOutput),
    "rule-classifier": (ClassifierPayload, ClassifierOutput),
    "reference-candidate": (CandidatePayload, CandidateOutput),
    "first-sentence-candidate": (CandidatePayload, CandidateOutput),
    "generic-candidate": (CandidatePayload, CandidateOutput),
    "unsafe-candidate": (CandidatePayload, CandidateOutput),
}


def output_schema(baseline_name: str) -> dict:
    """JSON schema of a baseline's output (use as ``CallRequest.json_schema`` for the role)."""
    return BASELINE_SCHEMAS[baseline_name][1].model_json_schema()


def candidate_payload(
    query: str, history: list[dict], reference_answer: str | None, model: str
) -> dict:
    """Candidate payload; the reference answer is given only to ``baseline/`` models,
    never to a model under evaluation."""
    reference = reference_answer if model.startswith("baseline/") else None
    return CandidatePayload(
        query=query, history=[Turn(**t) for t in history], reference_answer=reference
    ).model_dump()
