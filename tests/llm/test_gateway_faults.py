"""Fault tests through litellm's real HTTP path: bounded retries, missing values, no fakes."""

from __future__ import annotations

import asyncio
import json

from quarkmed_dagster.llm.structured import REASK
from quarkmed_dagster.llm.testing_server import Reply, default_answer
from quarkmed_dagster.llm.types import CallRequest

SCHEMA = {
    "type": "object",
    "required": ["answer"],
    "properties": {"answer": {"type": "string"}},
}


def requests(n: int, tag: str = "q", schema: dict | None = SCHEMA) -> list[CallRequest]:
    return [
        CallRequest(
            role="judges",
            model="openai/test-model",
            messages=({"role": "user", "content": f"{tag} {i}: reply in JSON"},),
            prompt_version="test@1",
            json_schema=schema,
        )
        for i in range(n)
    ]


def test_429_storm_is_retried_then_answered(llm_server, make_gateway):
    llm_server.script(
        lambda req, attempt: Reply(status=429) if attempt <= 2 else Reply(text=default_answer(req))
    )
    results = make_gateway().run(requests(20))
    assert [r.status for r in results] == ["ok"] * 20
    assert all(r.attempts == 3 and r.parsed["answer"].startswith("echo") for r in results)
    assert len(llm_server.requests) == 60


def test_endless_429_gives_missing_values_after_bounded_attempts(llm_server, make_gateway):
    llm_server.script(lambda req, attempt: Reply(status=429))
    results = make_gateway(max_attempts=3).run(requests(5))
    assert all(r.status == "failed" and r.parsed is None and r.text is None for r in results)
    assert {r.error_class for r in results} == {"RateLimitError"}
    assert all(r.attempts == 3 for r in results)
    assert len(llm_server.requests) == 15  # exactly max_attempts per request, no more


def test_500s_are_retried(llm_server, make_gateway):
    llm_server.script(
        lambda req, attempt: Reply(status=500 if attempt == 1 else 200, text=default_answer(req))
    )
    results = make_gateway().run(requests(10))
    assert all(r.status == "ok" and r.attempts == 2 for r in results)


def test_client_errors_are_not_retried(llm_server, make_gateway):
    llm_server.script(lambda req, attempt: Reply(status=400))
    (result,) = make_gateway().run(requests(1))
    assert result.status == "failed" and result.attempts == 1
    assert len(llm_server.requests) == 1


def test_timeouts_are_bounded(llm_server, make_gateway):
    llm_server.script(lambda req, attempt: Reply(text=default_answer(req), delay_s=3.0))
    results = make_gateway(timeout_s=0.3, max_attempts=2).run(requests(3))
    assert all(r.status == "failed" and r.parsed is None for r in results)
    assert {r.error_class for r in results} == {"Timeout"}
    assert all(r.attempts == 2 for r in results)


def test_malformed_json_gets_one_reask_then_missing(llm_server, make_gateway):
    llm_server.script(lambda req, attempt: Reply(text='{"answer": "truncated'))
    results = make_gateway().run(requests(4))
    assert all(r.status == "failed" and r.parsed is None for r in results)
    assert {r.error_class for r in results} == {"InvalidOutput"}
    # One original request and exactly one re-ask per call.
    assert len(llm_server.requests) == 8
    reasks = [r for r in llm_server.requests if len(r["messages"]) == 3]
    assert len(reasks) == 4
    assert reasks[0]["messages"][1]["role"] == "assistant"


def test_reask_repairs_schema_violation(llm_server, make_gateway):
    def handler(req, attempt):
        if REASK.split(":")[0] in req["messages"][-1]["content"]:
            return Reply(text=json.dumps({"answer": "fixed"}))
        return Reply(text=json.dumps({"wrong_key": 1}))

    llm_server.script(handler)
    results = make_gateway().run(requests(3))
    assert [r.parsed for r in results] == [{"answer": "fixed"}] * 3
    assert all(r.status == "ok" and r.attempts == 2 for r in results)


def test_malformed_http_body_is_a_failure_not_a_result(llm_server, make_gateway):
    llm_server.script(lambda req, attempt: Reply(raw_body='{"choices": [{"message": '))
    results = make_gateway(max_attempts=2).run(requests(2))
    assert all(r.status == "failed" and r.parsed is None for r in results)


def test_json_mode_is_requested(llm_server, make_gateway):
    make_gateway().run(requests(1))
    assert llm_server.requests[0]["response_format"] == {"type": "json_object"}


def test_duplicate_requests_in_one_run_call_once(llm_server, make_gateway):
    batch = requests(3) * 2
    results = make_gateway().run(batch)
    assert len(results) == 6 and len(llm_server.requests) == 3
    assert [r.status for r in results] == ["ok"] * 3 + ["cached"] * 3
    assert results[0].parsed == results[3].parsed


def test_run_works_inside_a_running_event_loop(llm_server, make_gateway):
    gateway = make_gateway()

    async def inside_loop():
        return gateway.run(requests(3))

    results = asyncio.run(inside_loop())
    assert [r.status for r in results] == ["ok"] * 3


def test_concurrency_limit_is_respected(llm_server, make_gateway):
    llm_server.script(lambda req, attempt: Reply(text=default_answer(req), delay_s=0.05))
    results = make_gateway(concurrency=3).run(requests(12))
    assert all(r.ok for r in results)
    assert llm_server.peak_in_flight == 3


def test_rpm_spacing(llm_server, make_gateway):
    import time

    started = time.monotonic()
    results = make_gateway(rpm=600).run(requests(6))  # one start every 0.1 s
    assert all(r.ok for r in results)
    assert time.monotonic() - started >= 0.45


def test_worker_processes_give_the_same_results(llm_server, make_gateway, warehouse):
    gateway = make_gateway(warehouse=warehouse, label="sharded")
    gateway.processes, gateway.parallel_min_calls = 2, 10
    batch = requests(30, tag="sharded")
    results = gateway.run(batch)
    assert [r.status for r in results] == ["ok"] * 30
    assert [r.cache_key for r in results] == [r.cache_key for r in batch]
    assert len(llm_server.requests) == 30
    assert warehouse.count("llm_calls") == 30
    # Calls made in the worker process were committed to the shared cache.
    assert [r.status for r in make_gateway().run(batch)] == ["cached"] * 30


def test_response_without_choices_is_a_missing_value(llm_server, make_gateway):
    body = '{"id": "x", "object": "chat.completion", "choices": [], "usage": null}'
    llm_server.script(lambda req, attempt: Reply(raw_body=body))
    results = make_gateway(max_attempts=1).run(requests(2))
    assert all(r.status == "failed" and r.parsed is None and r.error_class for r in results)


def test_known_models_are_priced_from_the_offline_cost_map(llm_server, make_gateway):
    request = requests(1)[0]
    priced = CallRequest(**{**request.__dict__, "model": "openai/gpt-4o"})
    (result,) = make_gateway().run([priced])
    assert result.status == "ok" and result.cost_usd > 0
