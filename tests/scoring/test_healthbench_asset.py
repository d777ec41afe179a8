"""The healthbench_scores asset with two scripted judges served by the real local
OpenAI-compatible server through litellm: physician criteria of HealthBench queries only,
generated and imported responses, NULL judgments, the call cache and the stored rows."""

import json
from datetime import datetime

import dagster as dg
import polars as pl
import pytest

from assets.healthbench import healthbench_scores, healthbench_scores_valid
from quarkmed_dagster.judging.run import prompt_version
from quarkmed_dagster.llm.testing_server import Reply
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.resources import WarehouseResource
from tests.scripted_llm import scripted_llm
from tests.warehouse_rows import insert_rows

JUDGES = ["openai/judge-a", "openai/judge-b"]
QUESTIONS = {"hb-1": "I have a cold, what helps?", "hb-2": "Is my mole dangerous?",
             "kqa-1": "KQA question that has no HealthBench criteria"}  # fmt: skip


def _judge(request: dict, attempt: int) -> Reply:
    """A criterion is fully met when its text says [met] (a [neg] one not when the response is
    'cautious'), half met for [half]; 'BROKEN' responses get invalid JSON from both judges,
    and judge-b's answers on the mole question are cut off."""
    first_user = next(m for m in request["messages"] if m["role"] == "user")  # also on re-asks
    data = extract_payload(first_user["content"])
    if "BROKEN" in data["response"] or (
        request["model"] == "judge-b" and data["query"] == QUESTIONS["hb-2"]
    ):
        return Reply(text='{"verdicts": [{"item_id": ')
    verdicts = []
    for item in data["items"]:
        text = item["description"]
        met = "[met]" in text and not ("[neg]" in text and "cautious" in data["response"])
        level = 1 if met else (0.5 if "[half]" in text else 0)
        verdicts.append({"item_id": item["item_id"], "level": level, "rationale": "scripted"})
    return Reply(text=json.dumps({"verdicts": verdicts}))


def _seed(warehouse) -> None:
    insert_rows(warehouse, "queries", [
        {"query_id": q, "batch_id": "b1", "session_id": q,
         "turns": json.dumps([{"role": "user", "content": text}]), "n_turns": 1,
         "is_multi_turn": False, "final_user_turn": text, "language": "en",
         "source": "healthbench" if q.startswith("hb") else "kqa", "category": "Clinical Care",
         "category_classifier": "rules", "difficulty": "easy", "ingested_at": datetime(2026, 1, 1)}
        for q, text in QUESTIONS.items()
    ])  # fmt: skip
    criteria = [
        ("hb-1", "Advises rest [met]", 5.0), ("hb-1", "Mentions fluids", 3.0),
        ("hb-1", "Recommends antibiotics [met] [neg]", -4.0),
        ("hb-2", "Advises seeing a dermatologist [met]", 2.0),
        ("hb-2", "Explains the ABCDE signs [half]", 2.0),
    ]  # fmt: skip
    rows = [
        {"reference_item_id": f"c{n}", "query_id": q, "source": "healthbench", "criterion": text,
         "points": points, "kind": "criterion", "tags": '["axis:accuracy"]', "batch_id": "b1"}
        for n, (q, text, points) in enumerate(criteria)
    ]  # fmt: skip
    rows.append({**rows[0], "reference_item_id": "k0", "query_id": "kqa-1", "source": "kqa",
                 "kind": "must_have"})  # fmt: skip
    insert_rows(warehouse, "reference_rubrics", rows)
    answers = {  # model -> (status, text)
        "model-x": ("ok", "Rest and take antibiotics."),
        "model-y": ("imported", "Rest; be cautious with antibiotics."),
        "model-w": ("ok", "BROKEN"),
        "model-z": ("failed", None),
        "baseline/reference-candidate": ("ok", "Rest, and be cautious with antibiotics."),
    }
    insert_rows(warehouse, "candidate_responses", [
        {"response_id": f"{q}-{m}", "query_id": q, "candidate_model": m,
         "is_baseline": m.startswith("baseline/"), "response_text": text, "status": status}
        for q in QUESTIONS for m, (status, text) in answers.items()
    ])  # fmt: skip


@pytest.fixture()
def judge_llm(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    roles = {"judges": JUDGES}
    with scripted_llm(tmp_path, _judge, roles, json_mode="none", max_attempts=1) as (server, llm):
        yield server, llm


def _materialize(warehouse, llm, mode: str = "batched") -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [healthbench_scores, healthbench_scores_valid],
        resources={"warehouse": WarehouseResource(path=str(warehouse.path)), "llm": llm},
        run_config={"ops": {"healthbench_scores": {"config": {"mode": mode}}}},
    )


def test_healthbench_scores_from_physician_criteria(warehouse, judge_llm):
    server, llm = judge_llm
    _seed(warehouse)
    result = _materialize(warehouse, llm)
    assert result.success
    (check,) = result.get_asset_check_evaluations()
    assert check.passed
    # one batched call per (answered response of a HealthBench query, judge): the failed
    # response and the K-QA query cost nothing; an unusable reply (BROKEN by both judges,
    # judge-b cut off on the three other mole answers) is re-asked once by the gateway
    answered, unusable = 2 * 4 * len(JUDGES), 2 * len(JUDGES) + 3
    assert len(server.requests) == answered + unusable
    prompts = [r["messages"][-1]["content"] for r in server.requests]
    assert not any(QUESTIONS["kqa-1"] in p for p in prompts)

    verdicts = warehouse.read_table("healthbench_verdicts")
    assert verdicts.height == (3 + 2) * 4 * len(JUDGES)  # criteria x responses x judges
    assert set(verdicts["criterion_id"]) == {"c0", "c1", "c2", "c3", "c4"}
    assert set(verdicts["mode"]) == {"batched"}
    broken = verdicts.filter(pl.col("response_id").str.ends_with("model-w"))
    assert broken["met"].null_count() == broken.height and set(broken["status"]) == {"unparseable"}
    half = verdicts.filter(
        (pl.col("criterion_id") == "c4") & (pl.col("judge_model") == "openai/judge-a")
        & (pl.col("response_id") == "hb-2-model-x")
    ).row(0, named=True)  # fmt: skip
    assert (half["level"], half["met"]) == (0.5, False)  # partly met is not met

    examples = {
        r["response_id"]: r
        for r in warehouse.read_table("healthbench_example_scores").iter_rows(named=True)
    }
    assert sorted(examples) == sorted(
        f"{q}-{m}" for q in ("hb-1", "hb-2")
        for m in ("model-x", "model-y", "model-w", "baseline/reference-candidate")
    )  # fmt: skip
    assert examples["hb-1-model-x"]["score"] == pytest.approx((5 - 4) / 8)
    assert examples["hb-1-model-y"]["score"] == pytest.approx(5 / 8)  # imported, graded alike
    assert examples["hb-2-model-x"]["score"] == pytest.approx(2 / 4)  # judge-a alone decides
    assert examples["hb-1-model-w"]["score"] is None  # all NULL: missing, not 0
    assert examples["hb-1-model-w"]["n_judged"] == 0

    scores = {
        r["candidate_model"]: r
        for r in warehouse.read_table("healthbench_scores").iter_rows(named=True)
    }
    assert sorted(scores) == sorted(["baseline/reference-candidate", "model-w", "model-x",
                                     "model-y"])  # fmt: skip
    x, y, w = scores["model-x"], scores["model-y"], scores["model-w"]
    assert x["score"] == pytest.approx((1 / 8 + 1 / 2) / 2) and x["n_examples"] == 2
    assert y["score"] == pytest.approx((5 / 8 + 1 / 2) / 2) and x["coverage"] == 1.0
    assert x["bootstrap_std"] > 0
    assert w["score"] is None and w["n_examples"] == 0 and w["coverage"] == 0.0
    base = scores["baseline/reference-candidate"]
    assert base["is_baseline"] and not x["is_baseline"] and not base["baseline_judges"]
    assert x["judge_models"] == ", ".join(JUDGES)
    assert x["judge_prompt_version"] == prompt_version("batched")

    # rerun: every usable judgment comes from the call cache; the unusable ones were not
    # cached (a missing value is asked again, with its re-ask); tables replaced, not grown
    again = _materialize(warehouse, llm)
    assert again.success and len(server.requests) == answered + 3 * unusable
    assert warehouse.count("healthbench_verdicts") == verdicts.height
    assert (
        warehouse.read_table("healthbench_scores")
        .drop("scored_at")
        .sort("candidate_model")
        .equals(pl.DataFrame(list(scores.values())).drop("scored_at").sort("candidate_model"))
    )


def test_per_item_mode_gives_the_same_scores(warehouse, judge_llm):
    server, llm = judge_llm
    _seed(warehouse)
    assert _materialize(warehouse, llm, mode="batched").success
    batched = warehouse.read_table("healthbench_example_scores").sort("response_id")
    calls = len(server.requests)
    assert _materialize(warehouse, llm, mode="per_item").success
    # one call per criterion; unusable replies (model-w's 5 criteria by both judges,
    # judge-b's 2 mole criteria of the 3 other answers) are re-asked once
    unusable = 5 * len(JUDGES) + 2 * 3
    assert len(server.requests) - calls == 4 * (3 + 2) * len(JUDGES) + unusable
    per_item = warehouse.read_table("healthbench_example_scores").sort("response_id")
    assert per_item.equals(batched)
    assert set(warehouse.read_table("healthbench_verdicts")["mode"]) == {"per_item"}


def test_check_fails_on_a_score_outside_the_unit_interval(warehouse, judge_llm):
    _, llm = judge_llm
    _seed(warehouse)
    assert _materialize(warehouse, llm).success
    with warehouse.writer() as con:
        con.execute("UPDATE healthbench_scores SET score = 1.5 WHERE candidate_model = 'model-x'")
    evaluation = healthbench_scores_valid(warehouse=WarehouseResource(path=str(warehouse.path)))
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR


def test_no_healthbench_criteria_no_calls_and_empty_tables(warehouse, judge_llm):
    server, llm = judge_llm
    _seed(warehouse)
    with warehouse.writer() as con:
        con.execute("DELETE FROM reference_rubrics WHERE source = 'healthbench'")
    result = _materialize(warehouse, llm)
    assert result.success and result.get_asset_check_evaluations()[0].passed
    assert server.requests == []
    for table in ("healthbench_verdicts", "healthbench_example_scores", "healthbench_scores"):
        assert warehouse.count(table) == 0
