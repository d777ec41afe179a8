"""Gateway throughput benchmark against the local OpenAI-compatible server, through litellm.

10,000 calls, 100 ms server latency, 128-way concurrency, JSON schema validation, call
cache and call log (journaled per call, loaded into a DuckDB warehouse at the end) all on.
Prints throughput, p50/p99 added latency (call latency minus the server's sleep), the wall
time of a fully cached rerun, and where the CPU time went: per call, for the gateway's own
process, its worker processes and the test server (its own process, so it does not share
the gateway's GIL). Targets: >= 300 calls/s on 2 cores; cached rerun < 5 s.

On 2 cores the throughput ceiling is 2000 ms / (CPU ms per call, all processes): the CPU
lines show whether a run reached it, or whether other load on the machine took the cores.

    .venv/bin/python benchmarks/bench_gateway.py [--calls 10000] [--processes 2]
        [--model openai/bench-model | hosted_vllm/bench-model]
        [--profile gateway.prof]   # cProfile of the gateway's event-loop thread
"""

from __future__ import annotations

import argparse
import cProfile
import gc
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
from quarkmed_dagster.llm.loop import gateway_loop
from quarkmed_dagster.llm.parallel import start_workers, worker_pids
from quarkmed_dagster.llm.testing_server import free_port, wait_until_listening
from quarkmed_dagster.llm.types import CallRequest
from quarkmed_dagster.warehouse import Warehouse

SCHEMA = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}}
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def start_server(latency: float) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [sys.executable, "-m", "quarkmed_dagster.llm.testing_server"]
    args = ["--port", str(port), "--latency", str(latency), "--no-record"]
    server = subprocess.Popen([*command, *args])
    wait_until_listening(port)
    return server, port


def bench_profile(port: int, concurrency: int) -> object:
    # Mirrors the `local` profile of models.yaml (an OpenAI-compatible server, price 0.0).
    defaults = {
        "api_base": f"http://127.0.0.1:{port}/v1",
        "concurrency": concurrency,
        "timeout_s": 30,
        "max_attempts": 3,
        "backoff_base_s": 0.05,
        "json_mode": "none",
        "input_cost_per_token": 0.0,
        "output_cost_per_token": 0.0,
    }
    return parse_profile({"profiles": {"bench": {"defaults": defaults}}}, "bench")


def requests_for(n: int, model: str) -> list[CallRequest]:
    stamp = time.time_ns()  # fresh prompts: nothing cached from earlier runs
    return [
        CallRequest(
            role="judges",
            model=model,
            messages=({"role": "user", "content": f"Question {i} ({stamp}). Reply JSON."},),
            prompt_version="bench-v1",
            json_schema=SCHEMA,
        )
        for i in range(n)
    ]


class GcMeter:
    """CPU seconds this process spends in the cyclic garbage collector."""

    def __init__(self) -> None:
        self.seconds, self._start = 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.thread_time()  # the collector runs in the allocating thread
        else:
            self.seconds += time.thread_time() - self._start


class CpuMeter:
    """CPU seconds of this process, the gateway workers and the server over one stretch."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        return {
            "gateway process": time.process_time(),
            "gateway workers": sum(cpu_s(pid) for pid in worker_pids()),
            "test server": cpu_s(self.server_pid),
        }

    def per_call_ms(self, calls: int) -> dict[str, float]:
        end = self._read()
        return {k: (end[k] - self.start[k]) / calls * 1000 for k in end}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--processes", type=int, default=2, help="gateway processes")
    parser.add_argument(
        "--model",
        default="openai/bench-model",
        help="litellm model string: openai/... (OpenAI SDK path, as the hosted APIs) or "
        "hosted_vllm/... (litellm's own HTTP path for self-hosted OpenAI-compatible servers)",
    )
    parser.add_argument("--profile", default=None, help="write a cProfile of the loop thread")
    args = parser.parse_args()

    server, port = start_server(args.latency)
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            warehouse = Warehouse(Path(tmp) / "bench.duckdb")
            warehouse.ensure_schema()
            gateway = LiteLLMGateway(
                bench_profile(port, args.concurrency),
                "bench",
                cache=CallCache(Path(tmp) / "calls.sqlite"),
                warehouse=warehouse,
                estimate_above=10**9,
                processes=args.processes,
                parallel_min_calls=1000,
            )
            if args.processes > 1:
                start_workers(args.processes - 1)
            requests = requests_for(args.calls, args.model)
            warm = [replace(r, prompt_version="warm-up") for r in requests[:1000]]
            gateway.run(warm)  # warm-up: HTTP connection pools in every process
            profiler = cProfile.Profile() if args.profile else None
            if profiler is not None:  # cProfile follows one thread: the gateway loop's
                gateway_loop().call_soon_threadsafe(profiler.enable)
            load = os.getloadavg()[0]
            collector = GcMeter()
            meter = CpuMeter(server.pid)
            started = time.perf_counter()
            results = gateway.run(requests)
            wall = time.perf_counter() - started
            cpu = meter.per_call_ms(len(requests))
            gc_ms = collector.seconds / len(requests) * 1000
            if profiler is not None:
                gateway_loop().call_soon_threadsafe(profiler.disable)
                time.sleep(0.1)
                profiler.dump_stats(args.profile)
            report(args, gateway, results, wall, cpu, load)
            print(f"  of which the gateway process's garbage collector: {gc_ms:.2f} ms/call")
            logged = warehouse.count("llm_calls")
            print(f"call log: {logged} rows in llm_calls (warm-up + run)")

            started = time.perf_counter()
            rerun = gateway.run(requests)
            cached_wall = time.perf_counter() - started
            hits = sum(r.status == "cached" for r in rerun)
            print(f"cached rerun: {cached_wall:.2f} s ({hits} cache hits)")
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(args, gateway, results, wall: float, cpu: dict[str, float], load: float) -> None:
    live = [r for r in results if r.status == "ok"]
    added = sorted(max(0.0, r.latency_s - args.latency) for r in live)
    print(
        f"calls: {args.calls} (+1000 warm-up) to {args.model}, concurrency {args.concurrency}, "
        f"server latency {args.latency * 1000:.0f} ms"
    )
    print(f"gateway processes: {args.processes}; status: {gateway.last_summary.by_status}")
    print(f"throughput: {len(results) / wall:.1f} calls/s (wall {wall:.2f} s)")
    total = sum(cpu.values())
    parts = ", ".join(f"{name} {ms:.2f}" for name, ms in cpu.items())
    print(f"CPU per call: {total:.2f} ms ({parts})")
    cores = os.cpu_count() or 1
    print(
        f"CPU-bound ceiling on {cores} cores: {cores * 1000 / total:.0f} calls/s; "
        f"cores busy with this run: {total * len(results) / 1000 / wall:.2f}; "
        f"load average at start {load:.1f}"
    )
    if added:
        p99 = added[min(len(added) - 1, int(0.99 * len(added)))]
        print(
            f"added latency: p50 {statistics.median(added) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
