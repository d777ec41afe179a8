"""Category and difficulty by a model through the LLM gateway, the rule baseline as fallback.

One structured-output call per query (prompt ``classify_query``, schema of
``ClassifierOutput``: category, difficulty, confidence), all of a batch in one
``Gateway.run`` (cached, retried, re-asked once on unparseable output, logged). A query whose
call fails or stays unparseable is labelled by the rule baseline and recorded as such
(``classifier="baseline-rules"`` with the baseline's confidence): no model answer is ever
made up. The department always comes from the rules (the model is not asked for it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import ValidationError

from quarkmed_dagster.ingest.classify import (
    Classification,
    QueryClassifier,
    QueryText,
    RuleClassifier,
)
from quarkmed_dagster.llm.config import RoleModel
from quarkmed_dagster.llm.payloads import ClassifierOutput, ClassifierPayload, Turn
from quarkmed_dagster.llm.types import CallRequest, CallResult, Gateway
from quarkmed_dagster.prompts import load_prompt

ROLE = "classifier"
PROMPT = "classify_query"


class LLMClassifier:
    """Implements ``QueryClassifier`` with one model of the ``classifier`` role."""

    def __init__(self, gateway: Gateway, model: RoleModel, rules: RuleClassifier | None = None):
        self.gateway, self.model = gateway, model
        self.rules = rules or RuleClassifier()

    def requests(self, queries: Sequence[QueryText]) -> list[CallRequest]:
        prompt = load_prompt(PROMPT)
        schema = ClassifierOutput.model_json_schema()
        return [
            CallRequest(
                role=ROLE,
                model=self.model.model,
                messages=prompt.messages(
                    ClassifierPayload(
                        text=q.final_user_turn, history=[Turn(**t) for t in q.history]
                    ).model_dump()
                ),
                prompt_version=prompt.version,
                params=dict(self.model.params),
                json_schema=schema,
            )
            for q in queries
        ]

    def classify_batch(self, queries: Sequence[QueryText]) -> list[Classification]:
        results = self.gateway.run(self.requests(queries)) if queries else []
        out = []
        for query, result in zip(queries, results, strict=True):
            rules = self.rules.classify(query)
            answer = model_answer(result)
            if answer is None:
                out.append(rules)  # labelled baseline-rules: the fallback decided
            else:
                out.append(
                    Classification(
                        answer.category,
                        answer.confidence,
                        answer.difficulty,
                        rules.department,
                        classifier=self.model.model,
                    )
                )
        return out


def model_answer(result: CallResult) -> ClassifierOutput | None:
    """The model's validated answer, or None for a failed or unusable call."""
    if not result.ok or result.parsed is None:
        return None
    try:
        return ClassifierOutput.model_validate(result.parsed)
    except ValidationError:
        return None


def select_classifier(
    models: Sequence[RoleModel], gateway: Callable[[], Gateway]
) -> QueryClassifier:
    """The LLM classifier for the profile's first non-baseline ``classifier`` model; else the
    in-process rule baseline (offline, no gateway built, no calls)."""
    live = [m for m in models if not m.is_baseline]
    if not live:
        return RuleClassifier()
    return LLMClassifier(gateway(), live[0])
