"""Reward-service grading: one request batch graded together vs completion by completion.

The judge is the local OpenAI-compatible test server (fixed latency per call) reached
through litellm and the gateway, graded by the judging stage's code, as in the service.

Run: .venv/bin/python benchmarks/bench_reward_service.py [--n 32] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply, local_profile
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.rewards.wiring import WarehouseRubrics, gateway_grader
from quarkmed_dagster.warehouse import Warehouse

QUERY = "Can I take ibuprofen while on warfarin?"


def judge(latency: float):
    def answer(request: dict, attempt: int) -> Reply:
        items = extract_payload(request["messages"][-1]["content"])["items"]
        verdicts = [
            {"item_id": it["item_id"], "level": "none" if it["tier"] == "Pitfall" else 1}
            for it in items
        ]
        return Reply(text=json.dumps({"verdicts": verdicts}), delay_s=latency)

    return answer


def seed(store: Warehouse) -> None:
    with store.writer() as con:
        con.execute(
            "INSERT INTO queries (query_id, batch_id, session_id, turns, n_turns, is_multi_turn,"
            " final_user_turn, language, source, category, category_classifier, difficulty,"
            " ingested_at) VALUES ('q1', 'b', 's', ?, 1, false, ?, 'en', 'bench',"
            " 'Clinical Care', 'rules', 'easy', now())",
            [json.dumps([{"role": "user", "content": QUERY}]), QUERY],
        )
        for k, tier in enumerate(["Essential", "Essential", "Important", "Highlight", "Pitfall"]):
            con.execute(
                "INSERT INTO rubric_items (item_id, query_id, rubric_set_version, tier, title,"
                " description, tag, weight, levels, support_count, support_ratio,"
                " verification, generated_by_baseline) VALUES (?, 'q1', 'rs', ?, ?, 'd',"
                " 'Safety', 1.0, '{}', 1, 1.0, 'supported', false)",
                [f"i{k}", tier, f"item {k}"],
            )
        con.execute(
            "INSERT INTO rubric_sets (query_id, rubric_set_version, config_hash, status, n_items,"
            " rounds, repaired, is_current) VALUES ('q1', 'rs', 'h', 'ok', 5, 1, false, true)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-secret")
    pairs = [("q1", f"Avoid ibuprofen; paracetamol is safer. Variant {i}.") for i in range(args.n)]
    with tempfile.TemporaryDirectory() as tmp, LocalLLMServer(judge(args.latency)) as server:
        store = Warehouse(Path(tmp) / "w.duckdb")
        store.ensure_schema()
        seed(store)
        profile = local_profile(server.url, json_mode="none", max_attempts=1, concurrency=16)
        figures = {}
        runs = {
            "one by one": lambda grade: [grade([pair])[0] for pair in pairs],
            "one batch": lambda grade: grade(pairs),
        }
        for name, run in runs.items():
            cache = CallCache(Path(tmp) / f"{name}.sqlite")  # fresh cache: every call is real
            gateway = LiteLLMGateway(profile, "bench", cache=cache, warehouse=None)
            grade = gateway_grader(gateway, ["openai/judge"], WarehouseRubrics(store))
            t0 = time.perf_counter()
            levels = run(grade)
            figures[name] = time.perf_counter() - t0
            assert all(v == 1.0 for lv in levels for k, v in lv.items() if k != "i4")
    print(f"{args.n} completions x 1 judge, {args.latency:.2f} s per judge call, concurrency 16")
    for name, seconds in figures.items():
        print(f"{name:>10}: {seconds:6.2f} s  ({args.n / seconds:6.1f} completions/s)")


if __name__ == "__main__":
    main()
