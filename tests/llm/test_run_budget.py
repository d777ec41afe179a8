"""A run's budget spans every gateway.run(), gateway and process of the run (one ledger per
run id in the call cache's file); re-asks count, cache hits do not; a new run starts afresh."""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
from dataclasses import replace

import dagster as dg
import pytest
import yaml

from quarkmed_dagster.llm.budget import Budget, price
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.ledger import ledger_for
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.llm.structured import REASK
from quarkmed_dagster.llm.testing_server import Reply, local_profile
from quarkmed_dagster.llm.types import CallRequest

SCHEMA = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}}


def batch(tag: str, n: int, model: str = "openai/test-model", **extra) -> list[CallRequest]:
    return [
        CallRequest(
            role="judges",
            model=model,
            messages=({"role": "user", "content": f"{tag} {i}"},),
            prompt_version="budget@1",
            **extra,
        )
        for i in range(n)
    ]


def statuses(results) -> list[str]:
    return [r.status for r in results]


def stop_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "exhausted" in r.getMessage()]


def test_budget_spans_run_calls_and_is_said_once(llm_server, make_gateway, caplog):
    caplog.set_level(logging.WARNING, logger="quarkmed_dagster.llm.gateway")
    gateway = make_gateway(budget=Budget(max_calls=2), run_id="run-1", concurrency=1)
    # Three run() calls of two requests each: before the fix, 6 real calls.
    runs = [gateway.run(batch(f"part{i}", 2)) for i in range(3)]
    assert [statuses(r) for r in runs] == [["ok", "ok"], ["over_budget"] * 2, ["over_budget"] * 2]
    assert len(llm_server.requests) == 2
    over = runs[1] + runs[2]
    assert all(r.parsed is None and r.text is None and r.attempts == 0 for r in over)
    assert all(r.error_class == "BudgetExceeded" for r in over)
    assert gateway.last_summary.stopped_by_budget == "max_calls=2"
    assert len(stop_warnings(caplog)) == 1 and "run-1" in stop_warnings(caplog)[0]
    # A cache hit costs nothing: the spent run still gets its cached answers.
    assert statuses(gateway.run(batch("part0", 2))) == ["cached", "cached"]
    spent = ledger_for(gateway.cache.path).spent("run-1")
    assert (spent.calls, spent.stopped) == (2, "max_calls=2") and spent.tokens > 0


def test_budget_spans_gateways_of_a_run_and_a_new_run_starts_afresh(
    llm_server, make_gateway, caplog
):
    caplog.set_level(logging.WARNING, logger="quarkmed_dagster.llm.gateway")
    budget = Budget(max_calls=3)
    rubrics = make_gateway(budget=budget, label="rubrics", run_id="dagster-a")
    judges = make_gateway(budget=budget, label="judges", run_id="dagster-a")
    assert statuses(rubrics.run(batch("rubric", 2))) == ["ok", "ok"]
    assert sorted(statuses(judges.run(batch("judge", 3)))) == ["ok"] + ["over_budget"] * 2
    assert statuses(rubrics.run(batch("more", 1))) == ["over_budget"]
    assert len(llm_server.requests) == 3
    fresh = make_gateway(budget=budget, label="judges", run_id="dagster-b")
    assert statuses(fresh.run(batch("next run", 3))) == ["ok"] * 3
    assert len(llm_server.requests) == 6
    assert len(stop_warnings(caplog)) == 1  # said by the gateway that met the limit


CHILD = """
import json, sys
from quarkmed_dagster.llm.budget import Budget
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import local_profile
from quarkmed_dagster.llm.types import CallRequest
url, cache_path, run_id = sys.argv[1:4]
requests = [CallRequest(role="judges", model="openai/test-model", prompt_version="budget@1",
    messages=({"role": "user", "content": f"child {i}"},)) for i in range(4)]
gateway = LiteLLMGateway(local_profile(url), "child", cache=CallCache(cache_path),
    budget=Budget(max_calls=5), run_id=run_id)
print(json.dumps([r.status for r in gateway.run(requests)]))
"""


def test_budget_spans_processes_of_a_run(llm_server, make_gateway):
    parent = make_gateway(budget=Budget(max_calls=5), run_id="dagster-multiprocess")
    assert statuses(parent.run(batch("parent", 3))) == ["ok"] * 3
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-secret"}
    args = [llm_server.url, str(parent.cache.path), "dagster-multiprocess"]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    child = json.loads(out.stdout.strip().splitlines()[-1])
    assert sorted(child) == ["ok"] * 2 + ["over_budget"] * 2  # the 2 calls the parent left
    assert len(llm_server.requests) == 5
    assert statuses(parent.run(batch("parent again", 1))) == ["over_budget"]


def test_worker_shards_draw_on_the_run_budget(llm_server, tmp_path):
    profile = local_profile(llm_server.url)
    gateway = LiteLLMGateway(
        profile,
        "sharded",
        cache=CallCache(tmp_path / "calls.sqlite"),
        budget=Budget(max_calls=7),
        run_id="sharded-run",
        processes=2,
        parallel_min_calls=5,
    )
    assert statuses(gateway.run(batch("small", 3))) == ["ok"] * 3  # in this process
    sharded = gateway.run(batch("large", 10))  # over a worker process too
    assert sorted(statuses(sharded)) == ["ok"] * 4 + ["over_budget"] * 6
    assert len(llm_server.requests) == 7
    assert gateway.last_summary.stopped_by_budget == "max_calls=7"


def test_reask_counts_as_a_call(llm_server, make_gateway):
    def invalid_then_fixed(req, attempt):
        if REASK.split(":")[0] in req["messages"][-1]["content"]:
            return Reply(text=json.dumps({"answer": "fixed"}))
        return Reply(text=json.dumps({"wrong_key": 1}))

    llm_server.script(invalid_then_fixed)
    gateway = make_gateway(budget=Budget(max_calls=3), run_id="reask", concurrency=1)
    first, second, third = gateway.run(batch("reask", 3, json_schema=SCHEMA))
    assert (first.status, first.parsed, first.attempts) == ("ok", {"answer": "fixed"}, 2)
    # The third call of the budget is the second request's first ask; its re-ask is refused:
    # a missing value, with what the first ask really used.
    assert (second.status, second.parsed, second.attempts) == ("over_budget", None, 1)
    assert second.tokens_in > 0 and second.error_class == "BudgetExceeded"
    assert (third.status, third.attempts, third.tokens_in) == ("over_budget", 0, 0)
    assert len(llm_server.requests) == 3
    assert ledger_for(gateway.cache.path).spent("reask").calls == 3


def test_max_cost_usd_from_the_real_cost_map(llm_server, make_gateway):
    model = "openai/gpt-4o-mini"  # priced in litellm's bundled cost map, served locally
    long_prompt = "chest pain and shortness of breath " * 120
    requests = [
        CallRequest(role="judges", model=model, prompt_version="budget@1",
                    messages=({"role": "user", "content": f"{i} {long_prompt}"},))
        for i in range(10)
    ]  # fmt: skip
    max_cost = 0.0004
    gateway = make_gateway(budget=Budget(max_cost_usd=max_cost), run_id="cost", concurrency=1)
    results = gateway.run(requests)
    ok = [r for r in results if r.status == "ok"]
    for r in ok:
        assert r.cost_usd > 0
        assert math.isclose(r.cost_usd, price(model, r.tokens_in, r.tokens_out), rel_tol=1e-9)
    # Calls start while the spend is under the limit; the one that crosses it is the last.
    per_call = ok[0].cost_usd
    assert len(ok) == math.ceil(max_cost / per_call) and 1 < len(ok) < 10
    assert sum(r.cost_usd for r in ok) >= max_cost > sum(r.cost_usd for r in ok[:-1])
    assert statuses(results)[len(ok) :] == ["over_budget"] * (10 - len(ok))
    assert gateway.last_summary.stopped_by_budget == f"max_cost_usd={max_cost}"
    spent = ledger_for(gateway.cache.path).spent("cost")
    assert math.isclose(spent.cost_usd, sum(r.cost_usd for r in ok), rel_tol=1e-9)
    assert len(llm_server.requests) == len(ok)


def test_dagster_run_id_reaches_every_asset_gateway(llm_server, tmp_path):
    config = tmp_path / "models.yaml"
    config.write_text(yaml.safe_dump({"profiles": {"local": {
        "defaults": {"api_base": llm_server.url, "json_mode": "none", "concurrency": 1},
    }}}))  # fmt: skip
    llm = LLMGatewayResource(
        models_config=str(config),
        profile="local",
        cache_path=str(tmp_path / "calls.sqlite"),
        max_calls=3,
    )
    seen: dict[str, list[str]] = {}
    tag = {"run": "first"}

    def asset_calling(name: str, deps: list[str]) -> dg.AssetsDefinition:
        @dg.asset(name=name, deps=deps)
        def calls(llm: LLMGatewayResource) -> None:
            gateway = llm.gateway(name)  # each asset builds its own gateway
            seen[name] = statuses(gateway.run(batch(f"{tag['run']} {name}", 2)))
            seen[f"{name}_run_id"] = [gateway.run_id]

        return calls

    assets = [asset_calling("answers", []), asset_calling("verdicts", ["answers"])]
    first = dg.materialize(assets, resources={"llm": llm})
    assert first.success
    assert seen["answers"] == ["ok", "ok"]
    assert sorted(seen["verdicts"]) == ["ok", "over_budget"]  # one budget for the run
    assert seen["answers_run_id"] == seen["verdicts_run_id"] == [first.run_id]
    tag["run"] = "second"
    second = dg.materialize(assets, resources={"llm": llm})  # a new run: a fresh budget
    assert second.success and second.run_id != first.run_id
    assert seen["answers"] == ["ok", "ok"] and sorted(seen["verdicts"]) == ["ok", "over_budget"]
    assert len(llm_server.requests) == 6


def test_a_cost_budget_with_an_unpriced_model_is_refused_before_any_call(
    llm_server, make_gateway, tmp_path, monkeypatch
):
    """litellm cannot price a self-hosted model: its calls would spend $0 and
    QUARKMED_BUDGET_MAX_COST_USD would never stop them. The gateway (and `quarkmed run`,
    before any Dagster run starts) refuses, naming the model and the setting to add; with
    the price configured the same budget really stops the calls."""
    from click.testing import CliRunner

    from quarkmed_dagster.cli import main
    from quarkmed_dagster.llm.budget import UnpricedModels
    from quarkmed_dagster.settings import get_settings

    model = "openai/my-self-hosted-llama"
    request = CallRequest(role="judges", model=model, prompt_version="budget@1",
                          messages=({"role": "user", "content": "chest pain " * 200},))  # fmt: skip
    with pytest.raises(UnpricedModels, match=r"my-self-hosted-llama.*input_cost_per_token"):
        make_gateway(budget=Budget(max_cost_usd=0.01), run_id="unpriced").run([request])
    assert llm_server.requests == []  # refused before the first call
    priced = make_gateway(
        budget=Budget(max_cost_usd=0.001), run_id="priced", concurrency=1,
        input_cost_per_token=1e-6, output_cost_per_token=2e-6,
    )  # fmt: skip
    results = priced.run([replace(request, prompt_version=f"budget@{i}") for i in range(8)])
    assert 0 < statuses(results).count("ok") < 8 and "over_budget" in statuses(results)

    config = tmp_path / "models.yaml"
    config.write_text(yaml.safe_dump({"profiles": {"own": {
        "defaults": {"api_base": llm_server.url},
        # another model: the priced gateway above taught litellm the first one's price
        "roles": {"judges": ["baseline/semantic-judge", "openai/my-other-local-model"]},
    }}}))  # fmt: skip
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUARKMED_MODELS_CONFIG", str(config))
    monkeypatch.setenv("QUARKMED_MODEL_PROFILE", "own")
    monkeypatch.setenv("QUARKMED_BUDGET_MAX_COST_USD", "5")
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(main, ["run"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 1
    assert "openai/my-other-local-model" in out.output and "input_cost_per_token" in out.output
    assert not (tmp_path / "home" / "dagster").exists()  # no run was started
