"""Cache, call log, budgets, secrets and crash safety of the gateway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from quarkmed_dagster.llm.budget import Budget
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.calllog import decode
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import Reply, default_answer, local_profile

FAKE_KEY = "sk-test-SECRET123"
# The same request builder runs in the killed child and in this test.
BUILD = """
from quarkmed_dagster.llm.types import CallRequest
def build(n):
    return [CallRequest(role="generators", model="openai/test-model",
        messages=({"role": "user", "content": f"kill test {i}"},), prompt_version="k@1")
        for i in range(n)]
"""


def build(n: int):
    scope: dict = {}
    exec(BUILD, scope)
    return scope["build"](n)


def test_rerun_hits_cache_and_costs_nothing(llm_server, make_gateway):
    gateway = make_gateway()
    first = gateway.run(build(10))
    assert [r.status for r in first] == ["ok"] * 10
    second = make_gateway().run(build(10))  # a new gateway, same cache file
    assert [r.status for r in second] == ["cached"] * 10
    assert len(llm_server.requests) == 10
    assert all(r.cost_usd == 0 for r in second)
    assert [r.text for r in second] == [r.text for r in first]


def test_failures_are_not_cached(llm_server, make_gateway):
    llm_server.script(lambda req, attempt: Reply(status=500))
    assert make_gateway(max_attempts=1).run(build(2))[0].status == "failed"
    llm_server.script(lambda req, attempt: Reply(text=default_answer(req)))
    assert [r.status for r in make_gateway().run(build(2))] == ["ok", "ok"]


def test_call_log_rows_in_warehouse(llm_server, make_gateway, warehouse):
    llm_server.script(
        lambda req, attempt: (
            Reply(status=500)
            if "3" in req["messages"][0]["content"]
            else Reply(text=default_answer(req))
        )
    )
    make_gateway(warehouse=warehouse, label="run-a", max_attempts=2).run(build(5))
    make_gateway(warehouse=warehouse, label="run-b", max_attempts=2).run(build(5))
    log = warehouse.read("SELECT * FROM llm_calls ORDER BY run_label, cache_key")
    assert log.height == 10
    a = log.filter(log["run_label"] == "run-a")
    assert sorted(a["status"].to_list()) == ["failed", "ok", "ok", "ok", "ok"]
    failed = a.filter(a["status"] == "failed").row(0, named=True)
    assert failed["error_class"] == "InternalServerError" and failed["attempts"] == 2
    assert failed["raw_output"] is None
    b = log.filter(log["run_label"] == "run-b")
    assert sorted(b["status"].to_list()) == ["cached"] * 4 + ["failed"]
    assert not any(log["is_baseline"].to_list())
    assert set(log["prompt_version"].to_list()) == {"k@1"}
    ok = a.filter(a["status"] == "ok")
    assert (ok["tokens_in"] > 0).all() and (ok["tokens_out"] > 0).all()


def test_budget_stops_cleanly(llm_server, make_gateway):
    gateway = make_gateway(budget=Budget(max_calls=4), concurrency=1)
    results = gateway.run(build(10))
    assert [r.status for r in results].count("ok") == 4
    over = [r for r in results if r.status == "over_budget"]
    assert len(over) == 6 and all(r.parsed is None and r.attempts == 0 for r in over)
    assert gateway.last_summary.stopped_by_budget == "max_calls=4"
    assert len(llm_server.requests) == 4


def test_token_budget(llm_server, make_gateway):
    gateway = make_gateway(budget=Budget(max_tokens=30), concurrency=1)
    results = gateway.run(build(10))
    n_ok = [r.status for r in results].count("ok")
    assert 1 <= n_ok < 10
    assert gateway.last_summary.stopped_by_budget == "max_tokens=30"


def test_estimate_uses_offline_cost_map(make_gateway):
    from quarkmed_dagster.llm.budget import estimate

    requests = [r.__class__(**{**r.__dict__, "model": "openai/gpt-4o"}) for r in build(3)]
    est = estimate(requests, set())
    assert est.calls == 3 and est.cost_usd > 0 and not est.unpriced_models
    unknown = make_gateway().estimate(build(3))
    assert unknown.unpriced_models == ["openai/test-model"]


def test_no_secret_in_cache_log_or_errors(llm_server, make_gateway, warehouse, tmp_path):
    def leaky(req, attempt):
        if "1" in req["messages"][0]["content"]:  # an error body echoing the credential
            return Reply(status=401, raw_body=None, text=None, headers={"x-echo": FAKE_KEY})
        if "2" in req["messages"][0]["content"]:
            return Reply(text=f"your key is {FAKE_KEY}")  # output echoing it
        return Reply(text=default_answer(req))

    llm_server.script(leaky)
    gateway = make_gateway(warehouse=warehouse)
    results = gateway.run(build(4))
    assert all(a == f"Bearer {FAKE_KEY}" for a in llm_server.authorizations)  # key was used
    blobs = [repr(results)]
    for path in (tmp_path / "cache").iterdir():
        blobs.append(path.read_bytes().decode("latin-1"))
    blobs.append(warehouse.read("SELECT * FROM llm_calls").write_csv())
    warehouse_bytes = Path(warehouse.path).read_bytes().decode("latin-1")
    assert not any("SECRET123" in blob for blob in [*blobs, warehouse_bytes])


# A gateway run of 400 calls (50 ms each, concurrency 4) in a child process, killed mid-way.
CHILD = f"""
import sys
{BUILD}
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import local_profile
from quarkmed_dagster.warehouse import Warehouse
url, cache_path, warehouse_path = sys.argv[1:4]
warehouse = Warehouse(warehouse_path) if warehouse_path else None
profile = local_profile(url, concurrency=4, max_attempts=1)
LiteLLMGateway(profile, "kill", cache=CallCache(cache_path), warehouse=warehouse).run(build(400))
"""


def kill_mid_run(llm_server, cache_path: Path, warehouse=None, finished: int = 20) -> None:
    """SIGKILL the child once ``finished`` calls are committed, with calls in flight."""
    llm_server.script(lambda req, attempt: Reply(text=default_answer(req), delay_s=0.05))
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY}
    args = [llm_server.url, str(cache_path), str(warehouse.path) if warehouse else ""]
    proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if cache_path.exists():
            cache = CallCache(cache_path)
            done = cache.count()
            cache.close()
            if done >= finished:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def test_killed_run_loses_no_finished_call(llm_server, tmp_path):
    cache_path = tmp_path / "cache.sqlite"
    kill_mid_run(llm_server, cache_path)
    served = {r["messages"][0]["content"] for r in llm_server.requests}
    cache = CallCache(cache_path)
    kept = cache.count()
    assert 20 <= kept < 400
    hits = cache.get_many([r.cache_key for r in build(400)])
    assert len(hits) == kept
    # Every stored call is a complete answer; calls the server answered after the last
    # commit may be missing, but at most the in-flight ones (concurrency 4).
    assert all(h.parsed is None and h.text.startswith('{"answer"') for h in hits.values())
    assert len(served) - kept <= 4 + 1


def test_killed_run_call_log_recovered_on_rerun(llm_server, tmp_path, warehouse):
    cache_path = tmp_path / "cache.sqlite"
    kill_mid_run(llm_server, cache_path, warehouse)
    requests = build(400)
    cache = CallCache(cache_path)
    done = set(cache.get_many([r.cache_key for r in requests]))
    assert 20 <= len(done) < 400
    # Each finished call's log row was committed with its cache entry; none reached the
    # warehouse, since the killed run never got to its end.
    journal = [decode(text) for _, text in cache.log_batch()]
    assert sorted(row["cache_key"] for row in journal) == sorted(done)
    assert warehouse.count("llm_calls") == 0

    profile = local_profile(llm_server.url, concurrency=4, max_attempts=1)
    rerun = LiteLLMGateway(profile, "kill", cache=cache, warehouse=warehouse).run(requests)
    assert [r.status for r in rerun] == [
        "cached" if r.cache_key in done else "ok" for r in requests
    ]
    again = LiteLLMGateway(profile, "kill", cache=cache, warehouse=warehouse).run(requests)
    assert {r.status for r in again} == {"cached"}  # changes nothing in the log below
    # No finished call was asked again; only calls in flight at the kill may be asked twice.
    asked = Counter(r["messages"][0]["content"] for r in llm_server.requests)
    assert all(asked[r.messages[0]["content"]] == 1 for r in requests if r.cache_key in done)
    assert len(asked) == 400 and sum(asked.values()) <= 400 + 4
    # One log row per call; the killed run's finished calls keep their live rows (tokens,
    # cost) instead of the reruns' cache hits; the journal is drained.
    log = warehouse.read("SELECT * FROM llm_calls WHERE run_label = 'kill'")
    assert log.height == 400 == log["call_id"].n_unique() == log["cache_key"].n_unique()
    assert set(log["status"]) == {"ok"} and (log["tokens_in"] > 0).all()
    assert sorted(log.filter(log["cache_key"].is_in(list(done)))["cache_key"]) == sorted(done)
    assert cache.log_batch() == []


def test_fresh_gateway_asks_again_and_replaces_the_cached_answer(llm_server, make_gateway):
    make_gateway().run(build(3))
    llm_server.script(lambda req, attempt: Reply(text='{"answer": "newer"}'))  # resets the count
    fresh = make_gateway()
    fresh.read_cache = False  # what a scheduled refresh of old rubrics asks for
    assert (fresh.estimate(build(3)).calls, fresh.estimate(build(3)).cached) == (3, 0)
    assert [r.status for r in fresh.run(build(3))] == ["ok"] * 3
    assert len(llm_server.requests) == 3
    again = make_gateway().run(build(3))  # later runs reuse the fresh answers
    assert [(r.status, r.text) for r in again] == [("cached", '{"answer": "newer"}')] * 3
    assert len(llm_server.requests) == 3
