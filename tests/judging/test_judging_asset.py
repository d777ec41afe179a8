"""The judging multi-asset and the scores after it, with three scripted judges served by the
real local OpenAI-compatible server through litellm (the gateway's whole code path)."""

import json
from datetime import datetime

import dagster as dg
import polars as pl
import pytest

from assets import judging as judging_assets
from assets.scoring import query_scores, query_scores_valid
from quarkmed_dagster.llm.testing_server import Reply
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.marts.views import create_marts
from quarkmed_dagster.prompts import load_prompt
from quarkmed_dagster.resources import WarehouseResource
from tests.scripted_llm import scripted_llm
from tests.warehouse_rows import insert_rows

JUDGES = ["openai/judge-a", "openai/judge-b", "openai/judge-c"]
HISTORY_MARK = "I take warfarin every evening."


def _judge(request: dict, attempt: int) -> Reply:
    """judge-a: everything fully met / no pitfall; judge-b: the same except a major pitfall;
    judge-c: 0 for positive items and a truncated JSON for the multi-turn response (its
    re-ask, which keeps the first prompt, too)."""
    data = extract_payload(request["messages"][1]["content"])
    model = request["model"]
    if model == "judge-c" and data["history"]:
        return Reply(raw_body=None, text='{"verdicts": [{"item_id": ')
    verdicts = []
    for item in data["items"]:
        if item["tier"] == "Pitfall":
            level = "major" if model == "judge-b" else "none"
        else:
            level = 0 if model == "judge-c" else 1
        verdicts.append({"item_id": item["item_id"], "level": level, "rationale": model})
    return Reply(text=json.dumps({"verdicts": verdicts}))


def _seed(warehouse) -> None:
    sessions = {
        "q-single": [{"role": "user", "content": "Can I take ibuprofen for a headache?"}],
        "q-multi": [
            {"role": "user", "content": HISTORY_MARK},
            {"role": "assistant", "content": "Thanks, noted."},
            {"role": "user", "content": "Can I take ibuprofen for a headache?"},
        ],
    }
    insert_rows(warehouse, "queries", [
        {"query_id": q, "batch_id": "b1", "session_id": q, "turns": json.dumps(turns),
         "n_turns": len(turns), "is_multi_turn": len(turns) > 1,
         "final_user_turn": turns[-1]["content"], "language": "en", "source": "test",
         "category": "Clinical Care", "category_classifier": "rules", "difficulty": "easy",
         "ingested_at": datetime(2026, 1, 1)}
        for q, turns in sessions.items()
    ])  # fmt: skip
    items = []
    for q in sessions:
        insert_rows(warehouse, "rubric_sets", [
            {"query_id": q, "rubric_set_version": f"rs-{q}", "config_hash": "h",
             "corpus_version": "c1", "status": "ok", "n_items": 3, "rounds": 1,
             "repaired": False, "is_current": True}
        ])  # fmt: skip
        for tier in ("Essential", "Important", "Pitfall"):
            items.append(
                {"item_id": f"{q}-{tier}", "query_id": q, "rubric_set_version": f"rs-{q}",
                 "corpus_version": "c1", "tier": tier, "title": f"{tier} point",
                 "description": "d", "tag": "Safety", "weight": 1.0, "levels": "[]",
                 "support_count": 2, "support_ratio": 1.0, "verification": "supported",
                 "generated_by_baseline": False}
            )  # fmt: skip
    # an older, no longer current rubric version must not be judged
    items.append({**items[0], "item_id": "old-item", "rubric_set_version": "rs-old"})
    insert_rows(warehouse, "rubric_items", items)
    insert_rows(warehouse, "candidate_responses", [
        {"response_id": f"{q}-{m}", "query_id": q, "candidate_model": m, "is_baseline": False,
         "response_text": None if m == "broken" else "Yes, with food.",
         "status": "failed" if m == "broken" else "ok"}
        for q in sessions for m in ("model-x", "broken")
    ])  # fmt: skip


@pytest.fixture()
def judge_llm(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    roles = {"judges": JUDGES}
    with scripted_llm(tmp_path, _judge, roles, json_mode="none", max_attempts=1) as (server, llm):
        yield server, llm


def _materialize(warehouse, llm, mode: str = "batched") -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [
            judging_assets.judge_panel,
            judging_assets.judge_verdicts_complete,
            judging_assets.judge_verdicts_suite,
            judging_assets.item_verdicts_suite,
            query_scores,
            query_scores_valid,
        ],
        resources={"warehouse": WarehouseResource(path=str(warehouse.path)), "llm": llm},
        run_config={"ops": {"judge_panel": {"config": {"mode": mode}}}},
    )


def test_panel_votes_nulls_history_and_scores(warehouse, judge_llm):
    server, llm = judge_llm
    _seed(warehouse)
    result = _materialize(warehouse, llm)
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["judge_verdicts_complete"].passed and checks["item_verdicts_suite"].passed
    # a third of the verdicts are NULL (failed / unparseable): the suite warns, never errors
    suite = checks["judge_verdicts_suite"]
    assert not suite.passed and suite.severity == dg.AssetCheckSeverity.WARN
    assert suite.metadata["failed_errors"].value == "none"

    # one batched call per (answered response, judge); the failed response costs no call;
    # judge-c's truncated reply is re-asked once
    assert len(server.requests) == 2 * len(JUDGES) + 1
    multi = [r for r in server.requests if HISTORY_MARK in r["messages"][-1]["content"]]
    assert len(multi) == len(JUDGES)  # the full session history reaches the judges

    verdicts = warehouse.read_table("judge_verdicts")
    assert verdicts.height == 4 * 3 * len(JUDGES)  # 4 responses x 3 current items x judges
    assert "old-item" not in verdicts["item_id"].to_list()
    broken = verdicts.filter(pl.col("response_id").str.ends_with("broken"))
    assert broken["level"].null_count() == broken.height
    assert set(broken["status"]) == {"failed"}
    truncated = verdicts.filter(
        (pl.col("judge_model") == "openai/judge-c") & (pl.col("response_id") == "q-multi-model-x")
    )
    assert truncated["level"].null_count() == 3 and set(truncated["status"]) == {"unparseable"}

    panel = {
        (r["response_id"], r["item_id"]): r
        for r in warehouse.read_table("item_verdicts").iter_rows(named=True)
    }
    single = panel[("q-single-model-x", "q-single-Essential")]
    assert (single["level"], single["n_votes"]) == (1.0, 3)
    assert single["agreement"] == pytest.approx(2 / 3)
    # Pitfall tie (none vs major, judge-c unparseable) -> the more severe level wins
    pit = panel[("q-multi-model-x", "q-multi-Pitfall")]
    assert (pit["level"], pit["n_votes"]) == (1.0, 2)
    assert panel[("q-single-broken", "q-single-Essential")]["level"] is None

    stats = warehouse.read("SELECT * FROM judge_panel_stats WHERE scope = 'all'")
    assert stats["n_judges"][0] == 3 and stats["krippendorff_alpha"][0] is not None

    # the judge prompt is the versioned template: its content hash names every call and the
    # judge prompt version on every score row
    calls = warehouse.read("SELECT DISTINCT prompt_version FROM llm_calls")["prompt_version"]
    assert calls.to_list() == [f"{load_prompt('judge_response').version}.batched"]
    create_marts(warehouse)
    versions = warehouse.read("SELECT DISTINCT judge_prompt_version FROM score_versions")
    assert versions["judge_prompt_version"].to_list() == calls.to_list()

    scores = {
        r["response_id"]: r for r in warehouse.read_table("query_scores").iter_rows(named=True)
    }
    assert scores["q-single-broken"]["score"] is None
    assert scores["q-single-broken"]["flagged_low_coverage"]
    assert scores["q-single-model-x"]["score"] is not None
    # the multi-turn answer commits the major pitfall by majority -> truncated, lower score
    assert scores["q-multi-model-x"]["truncated"]
    assert scores["q-multi-model-x"]["score"] < scores["q-single-model-x"]["score"]

    # rerun: every usable judgment comes from the call cache, tables do not grow; the
    # unusable one is a failed call (never cached): asked again, and re-asked once
    again = _materialize(warehouse, llm)
    assert again.success and len(server.requests) == 2 * len(JUDGES) + 1 + 2
    assert warehouse.count("judge_verdicts") == verdicts.height
    assert warehouse.count("item_verdicts") == len(panel)


def test_per_item_mode_calls_once_per_item_and_agrees_with_batched(warehouse, judge_llm):
    server, llm = judge_llm
    _seed(warehouse)
    assert _materialize(warehouse, llm, mode="batched").success
    batched_calls = len(server.requests)
    assert _materialize(warehouse, llm, mode="per_item").success
    # judge-c's three truncated per-item replies are re-asked once each
    assert len(server.requests) - batched_calls == 2 * 3 * len(JUDGES) + 3
    verdicts = warehouse.read_table("judge_verdicts")
    assert sorted(set(verdicts["mode"])) == ["batched", "per_item"]
    key = ["response_id", "item_id", "judge_model"]
    both = verdicts.filter(pl.col("mode") == "batched").join(
        verdicts.filter(pl.col("mode") == "per_item"), on=key, suffix="_per_item"
    )
    assert both.height == 4 * 3 * len(JUDGES)
    # the same scripted judgments either way, NULLs (judge-c's truncated answers) included
    assert both.filter(pl.col("level").ne_missing(pl.col("level_per_item"))).is_empty()
    # NULL: every judge on the two failed responses, judge-c on the multi-turn answer
    assert both["level"].null_count() == 2 * 3 * len(JUDGES) + 3


def test_completeness_check_fails_when_a_verdict_row_is_missing(warehouse, judge_llm):
    _, llm = judge_llm
    _seed(warehouse)
    assert _materialize(warehouse, llm).success
    with warehouse.writer() as con:
        con.execute("DELETE FROM judge_verdicts WHERE judge_model = 'openai/judge-b'")
    evaluation = judging_assets.judge_verdicts_complete(
        warehouse=WarehouseResource(path=str(warehouse.path)), llm=llm
    )
    assert not evaluation.passed
    assert evaluation.metadata["missing_rows"].value == 4 * 3
