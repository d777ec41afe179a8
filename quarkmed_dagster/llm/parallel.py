"""Worker processes for large gateway runs (each with its own event loop and litellm).

The parent shards uncached requests; each worker runs its shard with its share of the
concurrency, draws on the run's one budget (its ledger in the cache file), commits finished
calls (and their call-log rows) to the same SQLite cache file, and returns its results.
Workers are spawned once per process and reused. The gateway class travels in the job (a
pickled reference), so this module does not import the gateway that uses it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from quarkmed_dagster.llm.budget import Budget, BudgetMeter
from quarkmed_dagster.llm.config import Profile
from quarkmed_dagster.llm.types import CallRequest, CallResult

_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()

# Results by cache key, budget stop reason, whether the stop was met first in this shard,
# call-log rows not journaled (no cache).
ShardOutput = tuple[dict[str, CallResult], str | None, bool, list[dict[str, Any]]]


@dataclass(frozen=True)
class ShardJob:
    # The gateway class to build in the worker (``LiteLLMGateway``, or a subclass).
    gateway_type: Callable[..., Any]
    profile: Profile
    run_label: str
    cache_path: str | None
    budget: Budget
    run_id: str
    secrets: tuple[str, ...]
    requests: list[CallRequest]
    log_calls: bool = False


def _warm() -> bool:
    import litellm  # noqa: F401  (imported once per worker)

    import quarkmed_dagster.settings  # noqa: F401  (offline cost map before litellm)

    return True


def worker_pool(size: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < size:
            if _pool is not None:
                _pool.shutdown(wait=False)
            context = multiprocessing.get_context("spawn")
            _pool, _pool_size = ProcessPoolExecutor(size, mp_context=context), size
        return _pool


def start_workers(size: int) -> None:
    """Spawn and warm the workers now (they import litellm, which takes seconds)."""
    pool = worker_pool(size)
    for future in [pool.submit(_warm) for _ in range(size)]:
        future.result()


def worker_pids() -> list[int]:
    """Process ids of the live workers (benchmarks account their CPU time)."""
    with _lock:
        return [] if _pool is None else sorted(_pool._processes or {})


def _run_job(job: ShardJob) -> ShardOutput:
    from quarkmed_dagster.llm.cache import CallCache
    from quarkmed_dagster.llm.loop import run_sync

    cache = CallCache(job.cache_path) if job.cache_path else None
    gateway = job.gateway_type(
        job.profile, job.run_label, cache=cache, secrets=job.secrets, log_calls=job.log_calls
    )
    meter = BudgetMeter.for_run(job.budget, job.run_id, job.cache_path)
    executed = run_sync(gateway.run_shard(job.requests, job.profile, meter))
    return executed, meter.exhausted, meter.announced, gateway.take_pending_log()


async def run_remote(job: ShardJob, pool_size: int) -> ShardOutput:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(worker_pool(pool_size), _run_job, job)
