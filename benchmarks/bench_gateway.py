"""Gateway throughput benchmark against the local OpenAI-compatible server, through litellm.

10,000 calls, 100 ms server latency, 128-way concurrency. Prints throughput, p50/p99 added
latency (call latency minus the server's sleep) and the wall time of a fully cached rerun.
Targets: >= 300 calls/s on 2 cores; cached rerun < 5 s. The server runs in its own process
so it does not share the gateway's GIL.

    .venv/bin/python benchmarks/bench_gateway.py [--calls 10000] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from quarkmed_dagster import settings as _settings  # noqa: F401  (offline cost map first)
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.config import parse_profile
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.parallel import start_workers
from quarkmed_dagster.llm.testing_server import free_port, wait_until_listening
from quarkmed_dagster.llm.types import CallRequest

SCHEMA = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--processes", type=int, default=2, help="gateway processes")
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "quarkmed_dagster.llm.testing_server",
            "--port",
            str(port),
            "--latency",
            str(args.latency),
        ]
    )
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
    try:
        wait_until_listening(port)
        profile = parse_profile(
            {
                "profiles": {
                    "bench": {
                        "defaults": {
                            "api_base": f"http://127.0.0.1:{port}/v1",
                            "concurrency": args.concurrency,
                            "timeout_s": 30,
                            "max_attempts": 3,
                            "backoff_base_s": 0.05,
                            "json_mode": "none",
                            "input_cost_per_token": 0.0,
                            "output_cost_per_token": 0.0,
                        }
                    }
                }
            },
            "bench",
        )
        with tempfile.TemporaryDirectory() as tmp:
            cache = CallCache(Path(tmp) / "calls.sqlite")
            gateway = LiteLLMGateway(
                profile,
                "bench",
                cache=cache,
                estimate_above=10**9,
                processes=args.processes,
                parallel_min_calls=1000,
            )
            if args.processes > 1:
                start_workers(args.processes - 1)
            stamp = time.time_ns()
            requests = [
                CallRequest(
                    role="judges",
                    model="openai/bench-model",
                    messages=({"role": "user", "content": f"Question {i} ({stamp}). Reply JSON."},),
                    prompt_version="bench-v1",
                    json_schema=SCHEMA,
                )
                for i in range(args.calls)
            ]
            warm = [replace(r, prompt_version="warm-up") for r in requests[:200]]
            gateway.run(warm)  # warm-up: HTTP client pool
            load = os.getloadavg()[0]
            started, cpu_started = time.perf_counter(), time.process_time()
            results = gateway.run(requests)
            wall = time.perf_counter() - started
            cpu_ms = (time.process_time() - cpu_started) / len(requests) * 1000
            live = [r for r in results if r.status == "ok"]
            added = sorted(max(0.0, r.latency_s - args.latency) for r in live)
            print(
                f"calls: {args.calls} (+200 warm-up), concurrency {args.concurrency}, "
                f"server latency {args.latency * 1000:.0f} ms"
            )
            print(f"gateway processes: {args.processes}; status: {gateway.last_summary.by_status}")
            print(f"throughput: {len(results) / wall:.1f} calls/s (wall {wall:.2f} s)")
            print(
                f"gateway-process CPU: {cpu_ms:.2f} ms/call (workers not counted); "
                f"load average at start {load:.1f} on {os.cpu_count()} cores"
            )
            if added:
                p99 = added[min(len(added) - 1, int(0.99 * len(added)))]
                print(
                    f"added latency: p50 {statistics.median(added) * 1000:.1f} ms, "
                    f"p99 {p99 * 1000:.1f} ms"
                )
            started = time.perf_counter()
            rerun = gateway.run(requests)
            cached_wall = time.perf_counter() - started
            hits = sum(r.status == "cached" for r in rerun)
            print(f"cached rerun: {cached_wall:.2f} s ({hits} cache hits)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
