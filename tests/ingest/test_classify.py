"""The rule baseline labels itself; another classifier plugs in through the protocol."""

import json
from collections.abc import Sequence

from quarkmed_dagster.ingest.classify import (
    BASELINE_CLASSIFIER,
    Classification,
    QueryText,
    RuleClassifier,
)
from quarkmed_dagster.ingest.pipeline import ingest_file


def test_rule_baseline_categories() -> None:
    rules = RuleClassifier()
    clinical = rules.classify(
        QueryText("I have chest pain and shortness of breath since this morning")
    )
    wellness = rules.classify(
        QueryText("How much exercise and sleep should I get to stay healthy?")
    )
    professional = rules.classify(
        QueryText("What is the first-line regimen for my patient per current guidelines?")
    )
    assert clinical.category == "Clinical Care" and clinical.classifier == BASELINE_CLASSIFIER
    assert wellness.category == "Wellness Health"
    assert professional.category == "Professional Inquiry" and professional.difficulty == "hard"
    assert 0 <= clinical.confidence <= 1 and clinical.difficulty == "easy"
    # no evidence: Clinical Care with a low confidence; cues match whole words only
    for text in ("Hello there", "Is painting a ceiling a test of patience?"):
        empty = rules.classify(QueryText(text))
        assert (empty.category, empty.confidence) == ("Clinical Care", 0.34)


def test_rule_baseline_reads_earlier_user_turns() -> None:
    """Who is asking is often said in an earlier turn; assistant turns are not evidence."""
    rules = RuleClassifier()
    follow_up = "What should I do next?"
    nurse = (
        {"role": "user", "content": "I'm an ICU nurse caring for a man with sepsis."},
        {"role": "assistant", "content": "Understood."},
    )
    told = (
        {"role": "user", "content": "Hi."},
        {"role": "assistant", "content": "Per the guidelines, a clinician manages patients."},
    )
    assert rules.classify(QueryText(follow_up)).category == "Clinical Care"
    asked = rules.classify(QueryText(follow_up, nurse))
    assert (asked.category, asked.confidence) == ("Professional Inquiry", 1.0)
    assert rules.classify(QueryText(follow_up, told)).category == "Clinical Care"
    assert rules.classify(QueryText(follow_up, told)).difficulty == "medium"  # 2 turns
    assert rules.classify(QueryText(follow_up, told * 2)).difficulty == "hard"  # 5 turns


class FixedClassifier:
    def __init__(self) -> None:
        self.batches: list[list[QueryText]] = []

    def classify_batch(self, queries: Sequence[QueryText]) -> list[Classification]:
        self.batches.append(list(queries))
        label = Classification("Professional Inquiry", 0.9, "hard", "cardiology", "test-fixed")
        return [label] * len(queries)


def test_pluggable_classifier_is_recorded(tmp_path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "1", "question": "What is the dose of aspirin?"}) + "\n")
    session = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "I take warfarin."},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "Can I take ibuprofen too?"},
    ]
    with path.open("a") as f:
        f.write(json.dumps({"id": "2", "turns": session}) + "\n")
    fixed = FixedClassifier()
    result = ingest_file(path, "b1", "generic", classifier=fixed)
    row = result.queries.row(0, named=True)
    assert row["category_classifier"] == "test-fixed" and row["category_confidence"] == 0.9
    assert row["category"] == "Professional Inquiry"
    # all kept queries in one batch, in order; the history excludes the system turn
    (batch,) = fixed.batches
    assert [q.final_user_turn for q in batch] == [
        "What is the dose of aspirin?",
        "Can I take ibuprofen too?",
    ]
    assert batch[1].history == tuple(session[1:3]) and batch[1].n_turns == 3
