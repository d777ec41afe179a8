"""One long-lived asyncio loop in a daemon thread, so sync callers can run async work.

``run_sync(coro)`` works from plain code, from Dagster assets and from inside a running
event loop (the coroutine runs on the gateway's own loop thread, never nested). One loop
for the process also keeps litellm's cached async HTTP clients bound to a live loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid: int | None = None


def gateway_loop() -> asyncio.AbstractEventLoop:
    global _loop, _pid
    with _lock:
        if _loop is None or _pid != os.getpid() or _loop.is_closed():
            loop = _new_loop()
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
