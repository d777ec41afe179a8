import json
from datetime import datetime

import dagster as dg
import polars as pl
import yaml

from assets.responses import candidate_responses
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply
from quarkmed_dagster.resources import WarehouseResource


def test_candidate_responses_asset_on_empty_warehouse(warehouse, tmp_path):
    llm = LLMGatewayResource(
        models_config="models.yaml", profile="baseline", cache_path=str(tmp_path / "c.sqlite")
    )
    result = dg.materialize(
        [candidate_responses],
        resources={"warehouse": WarehouseResource(path=str(warehouse.path)), "llm": llm},
    )
    assert result.success
    assert warehouse.count("candidate_responses") == 0


def test_a_failed_candidate_call_is_a_null_response_with_status_failed(
    warehouse, tmp_path, monkeypatch
):
    """Free-text answers (no schema): an answer is stored as given; a call that fails after
    its retries (HTTP 500) or answers nothing is a NULL response with status failed."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    turns = [{"role": "user", "content": "Can I take ibuprofen for a headache?"}]
    frame = pl.DataFrame(
        [{"query_id": "q1", "batch_id": "b1", "session_id": "q1", "turns": json.dumps(turns),
          "n_turns": 1, "is_multi_turn": False, "final_user_turn": turns[-1]["content"],
          "language": "en", "source": "test", "category": "Clinical Care",
          "category_classifier": "rules", "difficulty": "easy",
          "ingested_at": datetime(2026, 1, 1)}]
    )  # fmt: skip
    with warehouse.writer() as con:
        con.register("rows_in", frame.to_arrow())
        con.execute(f"INSERT INTO queries ({', '.join(frame.columns)}) SELECT * FROM rows_in")

    def answer(request: dict, attempt: int) -> Reply:
        if request["model"] == "cand-down":
            return Reply(status=500)
        if request["model"] == "cand-empty":
            return Reply(text="")
        return Reply(text="Yes, 400 mg with food is usually fine.")  # free text, not JSON

    models = ["openai/cand-ok", "openai/cand-down", "openai/cand-empty"]
    with LocalLLMServer(answer) as server:
        config = tmp_path / "models.yaml"
        config.write_text(yaml.safe_dump({"profiles": {"cands": {
            "defaults": {"api_base": server.url, "max_attempts": 2, "backoff_base_s": 0.01,
                         "backoff_max_s": 0.02},
            "roles": {"candidates": models},
        }}}))  # fmt: skip
        llm = LLMGatewayResource(
            models_config=str(config), profile="cands", cache_path=str(tmp_path / "c.sqlite")
        )
        result = dg.materialize(
            [candidate_responses],
            resources={"warehouse": WarehouseResource(path=str(warehouse.path)), "llm": llm},
        )
        assert result.success
        assert all("response_format" not in r for r in server.requests)  # no schema asked
        assert sum(r["model"] == "cand-down" for r in server.requests) == 2  # retried, bounded
    rows = warehouse.read(
        "SELECT candidate_model, status, response_text FROM candidate_responses ORDER BY 1"
    ).rows()
    assert rows == [
        ("openai/cand-down", "failed", None),
        ("openai/cand-empty", "failed", None),
        ("openai/cand-ok", "ok", "Yes, 400 mg with food is usually fine."),
    ]
