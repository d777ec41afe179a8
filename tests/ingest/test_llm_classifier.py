"""The LLM classifier in the queries asset, served by the real local OpenAI-compatible server
through litellm (the gateway's whole path: HTTP, retries, strict parsing, re-ask, cache, log).
A failed or unparseable call falls back to the rule baseline, recorded as baseline-rules."""

import json
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.queries import queries
from quarkmed_dagster.ingest.batches import PARTITIONS_NAME, register_batch
from quarkmed_dagster.ingest.classify import BASELINE_CLASSIFIER, QueryText, RuleClassifier
from quarkmed_dagster.ingest.llm_classifier import select_classifier
from quarkmed_dagster.llm.config import RoleModel
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.warehouse import Warehouse

MODEL = "openai/classifier-x"
DECIDED = "My knee hurts after running, what should I do?"
MALFORMED = "Is it safe to take melatonin every night?"
SERVER_ERROR = "How much vitamin D should an adult take in winter?"
REPAIRED = "What is the first-line treatment for community-acquired pneumonia?"
HISTORY_MARK = "I take warfarin every evening."
FOLLOW_UP = "Can I take ibuprofen for a headache?"
LLM_LABEL = {"category": "Professional Inquiry", "difficulty": "hard", "confidence": 0.87}
REPAIRED_LABEL = {"category": "Wellness Health", "difficulty": "easy", "confidence": 0.61}


def _data(request: dict) -> dict:
    """The payload of the first user message (a re-ask appends more messages after it)."""
    first = next(m["content"] for m in request["messages"] if m["role"] == "user")
    return extract_payload(first)


def _classifier(request: dict, attempt: int) -> Reply:
    text = _data(request)["text"]
    reask = len(request["messages"]) > 2
    if text == MALFORMED:  # never valid JSON, not even after the re-ask
        return Reply(text='Sure! {"category": "Clinical')
    if text == SERVER_ERROR:
        return Reply(status=500)
    if text == REPAIRED:  # out-of-range confidence first, a valid answer when re-asked
        return Reply(text=json.dumps(REPAIRED_LABEL if reask else {**LLM_LABEL, "confidence": 7}))
    return Reply(text=json.dumps(LLM_LABEL))


@pytest.fixture()
def classifier_llm(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    with LocalLLMServer(_classifier) as server:
        config = tmp_path / "models.yaml"
        config.write_text(yaml.safe_dump({"profiles": {"classify": {
            "defaults": {"api_base": server.url, "json_mode": "json_object", "timeout_s": 5,
                         "max_attempts": 3, "backoff_base_s": 0.01, "backoff_max_s": 0.05},
            "roles": {"classifier": [MODEL]},
        }}}))  # fmt: skip
        yield server, config


def _batch_file(tmp_path: Path) -> Path:
    rows = [
        {"id": str(i), "question": text}
        for i, text in enumerate([DECIDED, MALFORMED, SERVER_ERROR, REPAIRED])
    ]
    session = [
        {"role": "user", "content": HISTORY_MARK},
        {"role": "assistant", "content": "Thanks, noted."},
        {"role": "user", "content": FOLLOW_UP},
    ]
    rows.append({"id": "s", "turns": session})
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _materialize(store: Warehouse, llm: LLMGatewayResource, instance, batch: str):
    return dg.materialize(
        [queries],
        partition_key=batch,
        resources={"warehouse": WarehouseResource(path=str(store.path)), "llm": llm},
        instance=instance,
    )


def test_llm_decides_and_failed_calls_fall_back_to_rules(tmp_path, classifier_llm) -> None:
    server, config = classifier_llm
    store = Warehouse(tmp_path / "w.duckdb")
    store.ensure_schema()
    llm = LLMGatewayResource(
        models_config=str(config),
        profile="classify",
        cache_path=str(tmp_path / "calls.sqlite"),
        warehouse_path=str(store.path),
    )
    batch = register_batch(store, _batch_file(tmp_path))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PARTITIONS_NAME, [batch])

    result = _materialize(store, llm, instance, batch)
    assert result.success  # a 500 and a malformed answer are fallbacks, not a crash

    rows = {r["final_user_turn"]: r for r in store.read_table("queries").iter_rows(named=True)}
    assert len(rows) == 5
    for text in (DECIDED, FOLLOW_UP):
        row = rows[text]
        assert row["category_classifier"] == MODEL
        assert (row["category"], row["difficulty"]) == ("Professional Inquiry", "hard")
        assert row["category_confidence"] == pytest.approx(0.87)
    repaired = rows[REPAIRED]
    assert repaired["category_classifier"] == MODEL
    assert (repaired["category"], repaired["difficulty"]) == ("Wellness Health", "easy")
    assert repaired["category_confidence"] == pytest.approx(0.61)
    rules = RuleClassifier()
    for text in (MALFORMED, SERVER_ERROR):
        row, expected = rows[text], rules.classify(QueryText(text))
        assert row["category_classifier"] == BASELINE_CLASSIFIER
        assert (row["category"], row["difficulty"]) == (expected.category, expected.difficulty)
        assert row["category_confidence"] == pytest.approx(expected.confidence)

    # calls: 1 each for the two decided, 2 for the re-asked ones (repaired, malformed: the
    # re-ask is bounded to one), 3 attempts for the 500 (max_attempts)
    by_text = Counter(_data(r)["text"] for r in server.requests)
    assert by_text == {DECIDED: 1, FOLLOW_UP: 1, REPAIRED: 2, MALFORMED: 2, SERVER_ERROR: 3}
    session_call = next(r for r in server.requests if _data(r)["text"] == FOLLOW_UP)
    assert _data(session_call)["history"][0]["content"] == HISTORY_MARK
    assert all(r["model"] == "classifier-x" for r in server.requests)

    calls = store.read("SELECT status, error_class FROM llm_calls WHERE role = 'classifier'")
    statuses = sorted(calls["status"].to_list())
    assert statuses == ["failed", "failed", "ok", "ok", "ok"]
    assert set(calls.filter(calls["status"] == "failed")["error_class"]) == {
        "InvalidOutput",
        "InternalServerError",
    }

    # rerun: the answered calls come from the cache; only the failed ones are tried again
    before = len(server.requests)
    assert _materialize(store, llm, instance, batch).success
    assert len(server.requests) - before == 2 + 3
    assert store.count("queries") == 5


def test_baseline_profile_uses_rules_without_a_gateway() -> None:
    def no_gateway():
        raise AssertionError("the baseline profile must not build a gateway")

    models = (RoleModel("classifier", "baseline/rule-classifier"),)
    for configured in (models, ()):
        classifier = select_classifier(configured, no_gateway)
        assert isinstance(classifier, RuleClassifier)
