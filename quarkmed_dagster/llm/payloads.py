"""Input and output schemas of model calls: the JSON inside a prompt's ``<data>`` block and
the JSON a model answers with, for every role (real models and offline baselines alike).

Every stage that calls a model puts its untrusted inputs into the last user message as
``encode_payload(payload)`` between ``<data>`` and ``</data>`` (see
``quarkmed_dagster.llm.types``). A real LLM reads the block as part of its prompt; an
offline ``baseline/...`` model reads it back with ``extract_payload`` and answers with JSON
text of the matching output schema (``quarkmed_dagster.baselines.payloads`` says which
baseline reads and writes which). Build payloads with these models (``.model_dump()``) so
that both kinds of model receive the same thing. Extra keys are allowed and ignored.

Role -> input -> output:

- generators: AnswerPayload -> AnswerOutput
- aggregators: KeypointsPayload -> KeypointsOutput
- verifiers: VerifierPayload -> VerifierOutput; batched (reverify): BatchVerifierPayload
  -> BatchVerifierOutput
- rubric_writer: RubricPayload -> RubricOutput
- judges: JudgePayload -> JudgeOutput
- classifier: ClassifierPayload -> ClassifierOutput
- candidates: CandidatePayload -> CandidateOutput
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
