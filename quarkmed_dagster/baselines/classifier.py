"""The offline provider ``baseline/rule-classifier``: the ingest rule baseline
(``quarkmed_dagster.ingest.classify.RuleClassifier``) behind the classifier payload, so that
the served baseline and the in-process one give the same labels."""

from __future__ import annotations

from typing import Any

from quarkmed_dagster.ingest.classify import QueryText, RuleClassifier
from quarkmed_dagster.llm.payloads import ClassifierOutput, ClassifierPayload

_RULES = RuleClassifier()


def classify_query(raw: dict[str, Any]) -> dict[str, Any]:
    payload = ClassifierPayload.model_validate(raw)
    history = tuple(t.model_dump() for t in payload.history if t.role != "system")
    label = _RULES.classify(QueryText(payload.text, history))
    return ClassifierOutput(
        category=label.category, difficulty=label.difficulty, confidence=label.confidence
    ).model_dump()
