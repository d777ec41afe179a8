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


def _one_query(warehouse) -> None:
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


def test_a_failed_candidate_call_is_a_null_response_with_status_failed(
    warehouse, tmp_path, monkeypatch
):
    """Free-text answers (no schema): an answer is stored as given; a call that fails after
    its retries (HTTP 500) is a NULL response with status failed; a reply with nothing in
    it is re-asked once, then NULL with status unparseable."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    _one_query(warehouse)

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
        assert sum(r["model"] == "cand-empty" for r in server.requests) == 2  # re-asked once
    rows = warehouse.read(
        "SELECT candidate_model, status, response_text FROM candidate_responses ORDER BY 1"
    ).rows()
    assert rows == [
        ("openai/cand-down", "failed", None),
        ("openai/cand-empty", "unparseable", None),
        ("openai/cand-ok", "ok", "Yes, 400 mg with food is usually fine."),
    ]


def test_candidate_replies_are_read_without_wrappers_and_reasked_once(
    warehouse, tmp_path, monkeypatch
):
    """A fenced reply (with a reasoning block before it) is stored as its answer, not with
    its fence and JSON wrapper; valid JSON without "answer" is re-asked once (with the
    judges' re-ask message) and kept when the re-ask fixes it, else NULL "unparseable"."""
    from quarkmed_dagster.llm.structured import REASK

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    _one_query(warehouse)
    first = {
        "cand-fenced": '<think>ibuprofen, dose?</think>\n```json\n{"answer": "Yes, 400 mg."}\n```',
        "cand-prose": 'Here is my answer:\n```json\n{"answer": "Rest and fluids."}\n```',
        "cand-fixed": '{"response": "Take it with food."}',
        "cand-never": '{"text": "Take it with food."}',
    }

    def answer(request: dict, attempt: int) -> Reply:
        model, messages = request["model"], request["messages"]
        if len(messages) > 1:  # the re-ask: the bad reply, then the re-ask message
            assert messages[-1]["content"].startswith(REASK.split("{")[0])
            assert messages[-2] == {"role": "assistant", "content": first[model]}
            return Reply(text='{"answer": "Take it with food."}' if model == "cand-fixed"
                         else '{"reply": "still wrong"}')  # fmt: skip
        return Reply(text=first[model])

    with LocalLLMServer(answer) as server:
        config = tmp_path / "models.yaml"
        config.write_text(yaml.safe_dump({"profiles": {"cands": {
            "defaults": {"api_base": server.url, "max_attempts": 1},
            "roles": {"candidates": [f"openai/{m}" for m in first]},
        }}}))  # fmt: skip
        llm = LLMGatewayResource(
            models_config=str(config), profile="cands", cache_path=str(tmp_path / "c.sqlite")
        )
        result = dg.materialize(
            [candidate_responses],
            resources={"warehouse": WarehouseResource(path=str(warehouse.path)), "llm": llm},
        )
        assert result.success
        calls = {m: sum(r["model"] == m for r in server.requests) for m in first}
    assert calls == {"cand-fenced": 1, "cand-prose": 1, "cand-fixed": 2, "cand-never": 2}
    rows = warehouse.read(
        "SELECT candidate_model, status, response_text FROM candidate_responses ORDER BY 1"
    ).rows()
    assert rows == [
        ("openai/cand-fenced", "ok", "Yes, 400 mg."),
        ("openai/cand-fixed", "ok", "Take it with food."),
        ("openai/cand-never", "unparseable", None),
        ("openai/cand-prose", "ok", "Rest and fluids."),
    ]
    metadata = result.asset_materializations_for_node("candidate_responses")[0].metadata
    assert (metadata["ok"].value, metadata["unparseable"].value) == (3, 1)
