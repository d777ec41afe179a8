"""The rule baseline labels itself; another classifier plugs in through the protocol."""

import json

from quarkmed_dagster.ingest.classify import BASELINE_CLASSIFIER, Classification, RuleClassifier
from quarkmed_dagster.ingest.pipeline import ingest_file


def test_rule_baseline_categories() -> None:
    rules = RuleClassifier()
    clinical = rules.classify("I have chest pain and shortness of breath since this morning", 1)
    wellness = rules.classify("How much exercise and sleep should I get to stay healthy?", 1)
    assert clinical.category == "Clinical Care" and clinical.classifier == BASELINE_CLASSIFIER
    assert wellness.category == "Wellness Health"
    assert 0 <= clinical.confidence <= 1 and clinical.difficulty in ("easy", "medium", "hard")


class FixedClassifier:
    def classify(self, final_user_turn: str, n_turns: int) -> Classification:
        return Classification("Professional Inquiry", 0.9, "hard", "cardiology", "test-fixed")


def test_pluggable_classifier_is_recorded(tmp_path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "1", "question": "What is the dose of aspirin?"}) + "\n")
    result = ingest_file(path, "b1", "generic", classifier=FixedClassifier())
    row = result.queries.row(0, named=True)
    assert row["category_classifier"] == "test-fixed" and row["category_confidence"] == 0.9
    assert row["category"] == "Professional Inquiry"
