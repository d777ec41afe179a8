"""One long-lived asyncio loop in a daemon thread, so sync callers can run async work.

``run_sync(coro)`` works from plain code, from Dagster assets and from inside a running
event loop (the coroutine runs on the gateway's own loop thread, never nested). One loop
for the process also keeps litellm's cached async HTTP clients bound to a live loop.

``litellm.acompletion`` prepares every request by running the synchronous ``completion``
in the loop's default executor. That work is pure Python (parameter mapping, no I/O for
the providers configured here), so a thread only adds a hand-off and GIL contention per
call: the gateway loop runs it inline instead (~7% less CPU per call, measured by
benchmarks/bench_gateway.py). The gateway's own blocking work (SQLite commits, warehouse
loads, CPU-heavy baselines) therefore goes to the named thread pools below, never to the
default executor.

``heap_frozen()`` exempts the objects alive when a run starts (litellm's and the caller's
hundreds of thousands) from the cyclic garbage collector while the run makes its calls, and
collects young objects less often: litellm allocates heavily per call, and default settings
spend ~0.5 ms of CPU per call re-scanning the old heap (~0.1 ms with this). Everything is
handed back to the collector when the last concurrent run ends.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid: int | None = None
_pools: dict[str, ThreadPoolExecutor] = {}
_pools_pid: int | None = None


class InlineExecutor(ThreadPoolExecutor):
    """An executor that runs each submitted function at once, in the submitting thread."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered to the awaiting coroutine, as a thread would
            future.set_exception(exc)
        return future


def gateway_loop() -> asyncio.AbstractEventLoop:
    global _loop, _pid
    with _lock:
        if _loop is None or _pid != os.getpid() or _loop.is_closed():
            loop = _new_loop()
            loop.set_default_executor(InlineExecutor(max_workers=1))
            thread = threading.Thread(
                target=loop.run_forever, name="quarkmed-llm-gateway", daemon=True
            )
            thread.start()
            _loop, _pid = loop, os.getpid()
        return _loop


def _new_loop() -> asyncio.AbstractEventLoop:
    try:  # uvloop trims per-call overhead of thousands of concurrent HTTP calls
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:
        return asyncio.new_event_loop()


POOL_SIZES = {"io": 1, "baselines": 4}


def thread_pool(name: str) -> ThreadPoolExecutor:
    """A named pool of this process: ``io`` (SQLite and warehouse writes, one thread so
    commits never race each other) or ``baselines`` (CPU-heavy offline methods)."""
    global _pools_pid
    with _lock:
        if _pools_pid != os.getpid():
            _pools.clear()  # a forked child must not reuse the parent's threads
            _pools_pid = os.getpid()
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = ThreadPoolExecutor(
                POOL_SIZES[name], thread_name_prefix=f"llm-{name}"
            )
        return pool


async def in_pool(name: str, fn: Callable[..., T], *args: Any) -> T:
    """Run blocking ``fn(*args)`` on the named pool without blocking the event loop."""
    return await asyncio.get_running_loop().run_in_executor(thread_pool(name), fn, *args)


_gc_lock = threading.Lock()
_gc_runs = 0
_gc_saved: tuple[int, int, int] = (700, 10, 10)
YOUNG_THRESHOLD = 20_000


@contextmanager
def heap_frozen() -> Iterator[None]:
    """Freeze the current heap (``gc.freeze``) and raise the young-generation threshold
    while the block runs; nested and concurrent uses share one freeze."""
    global _gc_runs, _gc_saved
    with _gc_lock:
        if _gc_runs == 0:
            _gc_saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(YOUNG_THRESHOLD, _gc_saved[0]), *_gc_saved[1:])
        _gc_runs += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_runs -= 1
            if _gc_runs == 0:
                gc.set_threshold(*_gc_saved)
                gc.unfreeze()  # back to the oldest generation: collected as usual


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the gateway loop and block this thread until it finishes."""
    loop = gateway_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coro.close()
        raise RuntimeError("run_sync called from the gateway loop itself; await arun instead")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()
