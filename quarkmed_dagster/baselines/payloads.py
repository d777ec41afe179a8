"""Which schema each offline baseline reads and writes (the schemas themselves are
``quarkmed_dagster.llm.payloads``, shared with the real models' requests).

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

from pydantic import BaseModel

from quarkmed_dagster.llm.payloads import (
    AnswerOutput,
    AnswerPayload,
    CandidateOutput,
    CandidatePayload,
    ClassifierOutput,
    ClassifierPayload,
    JudgeOutput,
    JudgePayload,
    KeypointsOutput,
    KeypointsPayload,
    RubricOutput,
    RubricPayload,
    Turn,
    VerifierOutput,
    VerifierPayload,
)

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
