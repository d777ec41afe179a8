"""The calibration trigger of the closed loop, end to end through the rubric stage, the real
gateway and the local scripted server: a rubric every candidate fails gets one calibration
round (deeper retrieval + regeneration) on the next run, and goes to review as
low_calibration when its re-scored candidates are still below the threshold."""

from __future__ import annotations

import json

import polars as pl
import pytest

from quarkmed_dagster.embeddings import get_embedder
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.rubrics.calibration import plan_calibration
from quarkmed_dagster.rubrics.config import ConsensusParams, RubricModels
from quarkmed_dagster.rubrics.records import Passage, QueryInput
from quarkmed_dagster.rubrics.stage import run_rubric_stage
from tests.rubrics.scripted_models import handler
from tests.rubrics.seed import seed
from tests.rubrics.test_scripted_pipeline import DEEP, _gateway

MODELS = RubricModels(
    generators=["openai/gen-a", "openai/gen-b"],
    aggregators=["openai/agg-1", "openai/agg-2"],
    verifiers=["openai/ver-1"],
    rubric_writer="openai/writer",
)
PARAMS = ConsensusParams(personas=["basic", "professional"], min_calibration_score=0.3)


def _deeper(query: QueryInput, k: int) -> list[Passage]:
    return DEEP


def _score(warehouse, query_id: str, scores: dict[str, float | None]) -> None:
    """Score rows as the scoring asset writes them (upsert by response_id: new scored_at)."""
    (version,) = warehouse.read(
        "SELECT rubric_set_version FROM rubric_sets WHERE query_id = ? AND is_current",
        [query_id],
    ).row(0)
    rows = [
        {"response_id": f"r-{query_id}-{model}", "query_id": query_id,
         "candidate_model": model, "is_baseline": False, "rubric_set_version": version,
         "corpus_version": "c1", "score": score, "coverage": 1.0,
         "flagged_low_coverage": score is None, "truncated": False}
        for model, score in scores.items()
    ]  # fmt: skip
    warehouse.upsert_rows("query_scores", pl.DataFrame(rows), ["response_id"])


def _set(warehouse, query_id: str) -> dict:
    return warehouse.read(
        "SELECT status, rounds, calibration_score, rubric_set_version FROM rubric_sets "
        "WHERE query_id = ? AND is_current",
        [query_id],
    ).row(0, named=True)


def _items(warehouse) -> pl.DataFrame:
    return warehouse.read(
        "SELECT item_id FROM current_rubric_items WHERE query_id = 'q-good' ORDER BY 1"
    )


@pytest.fixture()
def server():
    with LocalLLMServer(handler) as running:
        yield running


def test_low_calibration_round_once_then_review(server, monkeypatch, warehouse, tmp_path):
    seed(warehouse)
    gateway = _gateway(server, monkeypatch, CallCache(tmp_path / "calls.duckdb"))

    def run():
        server.script(handler)  # clears the recorded requests
        return run_rubric_stage(
            warehouse, gateway, MODELS, PARAMS, get_embedder().encode, deeper=_deeper,
            log=lambda _: None,
        )  # fmt: skip

    first = run()
    assert (first.generated, first.calibration_rounds) == (3, 0)
    assert _set(warehouse, "q-good")["status"] == "ok"
    assert _set(warehouse, "q-split")["status"] == "ok"
    before = _set(warehouse, "q-good")

    # the scoring step: every candidate fails q-good's rubric (a NULL score is not counted),
    # q-split's rubric is fine
    _score(warehouse, "q-good", {"m-1": 0.1, "m-2": 0.2, "m-3": None})
    _score(warehouse, "q-split", {"m-1": 0.9, "m-2": 0.7})

    second = run()
    assert (second.generated, second.calibration_rounds, second.unchanged) == (1, 1, 2)
    after = _set(warehouse, "q-good")
    assert after["status"] == "ok" and after["rounds"] == 2
    assert after["calibration_score"] == pytest.approx(0.15)
    assert after["rubric_set_version"] == before["rubric_set_version"]  # same configuration
    # round 0 came from the call cache; what went to the server is the deeper round of q-good
    generator_calls = [r for r in server.requests if "gen-" in r["model"]]
    assert generator_calls and server.requests
    for request in generator_calls:
        data = extract_payload(request["messages"][-1]["content"])
        assert data["query"].startswith("good")
        assert "deep-1" in [p["passage_id"] for p in data["evidence"]]
    rounds = warehouse.read(
        "SELECT DISTINCT round FROM candidate_answers WHERE query_id = 'q-good' ORDER BY 1"
    )
    assert rounds["round"].to_list() == [0, 1]
    assert _items(warehouse).height > 0

    # not re-scored yet: the old low scores belong to the rubric before the round -> nothing
    third = run()
    assert (third.generated, third.reviews, len(server.requests)) == (0, {}, 0)
    assert _set(warehouse, "q-good")["status"] == "ok"

    # re-scored and still low: review with the reason, no model calls, items leave current
    _score(warehouse, "q-good", {"m-1": 0.05, "m-2": 0.25})
    fourth = run()
    assert fourth.reviews == {"low_calibration": 1} and fourth.generated == 0
    assert len(server.requests) == 0
    assert _set(warehouse, "q-good")["status"] == "review"
    review = warehouse.read("SELECT query_id, reason, details FROM review_queue ORDER BY 1")
    assert review["reason"].to_list() == ["constraint_violation", "low_calibration"]
    details = json.loads(review["details"][1])
    assert details["mean_score_before_calibration"] == pytest.approx(0.15)
    assert details["mean_score_after_calibration"] == pytest.approx(0.15)
    assert details["threshold"] == 0.3 and details["candidate_models"] == 2
    current = warehouse.read("SELECT DISTINCT query_id FROM current_rubric_items ORDER BY 1")
    assert current["query_id"].to_list() == ["q-split"]

    # waiting for clinicians: nothing regenerated, the review is not duplicated
    fifth = run()
    assert (fifth.generated, fifth.reviews, len(server.requests)) == (0, {}, 0)
    assert warehouse.count("review_queue") == 2
    split = _set(warehouse, "q-split")  # scored fine: never touched by the loop
    assert (split["status"], split["rounds"], split["calibration_score"]) == ("ok", 1, None)


def test_calibration_trigger_off_or_without_scores_does_nothing():
    query = QueryInput("q-1", "text", corpus_version="c1")
    rows = pl.DataFrame(
        [{"query_id": "q-1", "rubric_set_version": "rs-1", "calibration_score": None,
          "mean_score": 0.0, "n_scored": 2, "n_models": 2}]
    )  # fmt: skip
    assert plan_calibration([query], rows, {"c1": "rs-1"}, None).rounds == {}
    assert plan_calibration([query], rows.head(0), {"c1": "rs-1"}, 0.3).rounds == {}
    assert plan_calibration([query], rows, {"c1": "rs-2"}, 0.3).rounds == {}  # other version
    assert plan_calibration([query], rows, {"c1": "rs-1"}, 0.3).rounds == {"q-1": 0.0}
    at_threshold = rows.with_columns(mean_score=pl.lit(0.3))
    assert plan_calibration([query], at_threshold, {"c1": "rs-1"}, 0.3).rounds == {}


def test_calibration_threshold_is_a_loop_policy_off_by_default(monkeypatch):
    from assets.rubrics import RubricStageConfig
    from quarkmed_dagster.rubrics.config import RubricConfig
    from quarkmed_dagster.settings import get_settings

    # turning the trigger on does not change the configuration hash (no mass regeneration)
    off, on = (
        RubricConfig(models=MODELS, params=PARAMS.model_copy(update={"min_calibration_score": v}))
        for v in (None, 0.3)
    )
    assert off.config_hash({"p": "1"}) == on.config_hash({"p": "1"})
    assert ConsensusParams().min_calibration_score is None
    get_settings.cache_clear()
    try:
        assert RubricStageConfig().params().min_calibration_score is None
        monkeypatch.setenv("QUARKMED_RUBRIC_MIN_CALIBRATION_SCORE", "0.05")
        get_settings.cache_clear()
        assert RubricStageConfig().params().min_calibration_score == 0.05
        explicit = RubricStageConfig(min_calibration_score=0.2).params()
        assert explicit.min_calibration_score == 0.2
    finally:
        monkeypatch.delenv("QUARKMED_RUBRIC_MIN_CALIBRATION_SCORE")
        get_settings.cache_clear()


def test_failed_calibration_round_keeps_the_scored_rubric_and_retries(
    server, monkeypatch, warehouse, tmp_path
):
    seed(warehouse)
    gateway = _gateway(server, monkeypatch, CallCache(tmp_path / "calls.duckdb"))

    def deep_fails(request, attempt):
        data = extract_payload(request["messages"][-1]["content"])
        evidence = [p["passage_id"] for p in data.get("evidence", [])]
        if "gen-" in request["model"] and "deep-1" in evidence:
            return Reply(status=500)
        return handler(request, attempt)

    def run(script):
        server.script(script)
        return run_rubric_stage(
            warehouse, gateway, MODELS, PARAMS, get_embedder().encode, deeper=_deeper,
            log=lambda _: None,
        )  # fmt: skip

    run(handler)
    items = _items(warehouse)
    _score(warehouse, "q-good", {"m-1": 0.1, "m-2": 0.2})
    failed = run(deep_fails)
    assert (failed.calibration_rounds, failed.failed, failed.reviews) == (1, 1, {})
    kept = _set(warehouse, "q-good")
    assert (kept["status"], kept["rounds"], kept["calibration_score"]) == ("ok", 1, None)
    assert _items(warehouse).equals(items)  # the scored rubric was not replaced
    retried = run(handler)
    assert (retried.calibration_rounds, retried.failed) == (1, 0)
    done = _set(warehouse, "q-good")
    assert (done["rounds"], done["calibration_score"]) == (2, pytest.approx(0.15))
