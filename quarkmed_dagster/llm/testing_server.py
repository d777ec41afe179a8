"""A real, scriptable OpenAI-compatible chat-completions server for tests and benchmarks.

Tests talk to it through litellm (``openai/<any-name>`` with ``api_base=server.url``), so the
gateway's whole code path runs: HTTP, retries, timeouts, JSON mode, usage accounting.

Two ways to script it:

* in-process (``LocalLLMServer().start()``, uvicorn in a background thread): a Python
  ``handler(request_json, attempt) -> Reply`` decides every answer; ``attempt`` counts how
  often this exact message list was seen (1 on the first try), so "fail twice, then answer"
  is one line. ``Reply`` can set a status (429, 500...), a delay (use a delay longer than the
  client timeout to simulate a timeout), or raw text (malformed / truncated JSON).
* as a subprocess (``python -m quarkmed_dagster.llm.testing_server --port N --latency 0.1``)
  with a declarative ``Script`` (fixed latency, fault status for the first n attempts of
  every prompt). Used by the benchmark and by kill tests, where the server must outlive a
  killed client or must not share the client's GIL.

Every request is recorded (``server.requests``) so tests can count real attempts; pass
``record=False`` (``--no-record``) for long benchmark runs. ``GET /stats`` reports the request
count and the time the server was busy (at least one request in flight): a client's time
outside that union is time not spent waiting on the model server.

Reuse in another test directory::

    @pytest.fixture()
    def llm_server(monkeypatch):
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")  # litellm wants a key
        with LocalLLMServer(my_handler) as server:
            yield server

    gateway = LiteLLMGateway(local_profile(server.url), "test", cache=CallCache(tmp / "c.db"))
    # requests use model "openai/<any-name>"
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Reply:
    """One scripted answer. ``text`` is the assistant content; ``raw_body`` bypasses JSON."""

    text: str | None = None
    status: int = 200
    delay_s: float = 0.0
    raw_body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[dict[str, Any], int], Reply]


@dataclass
class Script:
    """Declarative script (JSON-serialisable) for the subprocess mode."""

    latency_s: float = 0.0
    text: str | None = None  # None -> echo a small JSON answer derived from the prompt
    fail_first: int = 0  # attempts per prompt answered with fail_status before success
    fail_status: int = 500

    def handler(self) -> Handler:
        def answer(request: dict[str, Any], attempt: int) -> Reply:
            if attempt <= self.fail_first:
                return Reply(status=self.fail_status, delay_s=self.latency_s)
            return Reply(text=self.text or default_answer(request), delay_s=self.latency_s)

        return answer


def last_user_text(request: dict[str, Any]) -> str:
    for message in reversed(request.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def default_answer(request: dict[str, Any]) -> str:
    """A deterministic JSON answer naming a digest of the last user message."""
    digest = hashlib.sha256(last_user_text(request).encode("utf-8")).hexdigest()[:12]
    return json.dumps({"answer": f"echo {digest}", "digest": digest})


def _prompt_key(request: dict[str, Any]) -> str:
    blob = json.dumps(request.get("messages", []), sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _completion_body(request: dict[str, Any], text: str, n: int) -> dict[str, Any]:
    prompt_chars = sum(len(str(m.get("content", ""))) for m in request.get("messages", []))
    tokens_in, tokens_out = max(1, prompt_chars // 4), max(1, len(text) // 4)
    return {
        "id": f"chatcmpl-local-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "local"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }


class LocalLLMServer:
    """uvicorn + starlette on 127.0.0.1, in a background thread of this process."""

    def __init__(
        self,
        handler: Handler | Script | None = None,
        port: int | None = None,
        record: bool = True,
    ) -> None:
        handler = handler or Script()
        self.handler: Handler = handler.handler() if isinstance(handler, Script) else handler
        self.port = port or free_port()
        self.record = record
        self.requests: list[dict[str, Any]] = []
        self.n_requests = 0
        self._open = 0  # requests in flight (all scripts)
        self._busy_since = 0.0
        self.busy_s = 0.0  # union of the intervals with at least one request in flight
        self.served_s = 0.0  # sum of the per-request times (busy_s x mean concurrency)
        self.authorizations: list[str] = []
        self._attempts: Counter[str] = Counter()
        self._generation = 0  # bumped by script(): late requests of old scripts do not count
        self._in_flight: Counter[int] = Counter()
        self.peak_in_flight = 0  # most requests of the current script served at once
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, handler: Handler | Script) -> None:
        """Replace the handler and forget recorded requests (one script per test)."""
        self.handler = handler.handler() if isinstance(handler, Script) else handler
        with self._lock:
            self.requests.clear()
            self.authorizations.clear()
            self._attempts.clear()
            self.peak_in_flight = 0
            self._generation += 1

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/health", self._health, methods=["GET"]),
                Route("/stats", self._stats, methods=["GET"]),
            ]
        )

    def stats(self) -> dict[str, float]:
        """Cumulative counters; a client diffs two snapshots to measure a stretch of work."""
        with self._lock:
            now = time.monotonic()
            open_busy = now - self._busy_since if self._open else 0.0
            return {
                "requests": self.n_requests,
                "busy_s": self.busy_s + open_busy,
                "served_s": self.served_s,
                "peak_in_flight": self.peak_in_flight,
            }

    async def _stats(self, _: Request) -> Response:
        return JSONResponse(self.stats())

    async def _health(self, _: Request) -> Response:
        return JSONResponse({"ok": True})

    async def _models(self, _: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "local", "object": "model"}]})

    async def _chat(self, http_request: Request) -> Response:
        request = await http_request.json()
        with self._lock:
            if self.record:
                self.requests.append(request)
                self.authorizations.append(http_request.headers.get("authorization", ""))
            key = _prompt_key(request)
            self._attempts[key] += 1
            attempt = self._attempts[key]
            self.n_requests += 1
            n = self.n_requests
            generation = self._generation
            self._in_flight[generation] += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight[generation])
            started = time.monotonic()
            if not self._open:
                self._busy_since = started
            self._open += 1
        try:
            reply = self.handler(request, attempt)
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
        finally:
            with self._lock:
                self._in_flight[generation] -= 1
                now = time.monotonic()
                self.served_s += now - started
                self._open -= 1
                if not self._open:
                    self.busy_s += now - self._busy_since
        if reply.status != 200:
            body = {"error": {"message": f"scripted {reply.status}", "type": "scripted"}}
            return JSONResponse(body, status_code=reply.status, headers=reply.headers)
        if reply.raw_body is not None:
            return Response(reply.raw_body, media_type="application/json")
        return JSONResponse(_completion_body(request, reply.text or "", n), headers=reply.headers)

    def start(self) -> LocalLLMServer:
        config = uvicorn.Config(
            self.app(), host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        wait_until_listening(self.port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> LocalLLMServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def local_profile(url: str, **deployment: Any) -> Any:
    """A gateway profile whose every model is served by the server at ``url`` (fast retries)."""
    from quarkmed_dagster.llm.config import parse_profile

    settings = {
        "api_base": url,
        "concurrency": 16,
        "timeout_s": 5,
        "max_attempts": 3,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "json_mode": "json_object",
        **deployment,
    }
    return parse_profile(
        {"profiles": {"local-test": {"defaults": settings, "key_env": ["OPENAI_API_KEY"]}}},
        "local-test",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"local LLM server did not listen on port {port}")


def _import_handler(spec: str) -> Handler:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _with_latency(handler: Handler, latency_s: float, tokens_per_s: float = 0.0) -> Handler:
    """Replies without their own delay wait ``latency_s`` plus, when ``tokens_per_s`` is set,
    the decode time of their text (~4 characters per token), like a real model."""

    def answer(request: dict[str, Any], attempt: int) -> Reply:
        reply = handler(request, attempt)
        if not reply.delay_s:
            decode = len(reply.text or "") / 4 / tokens_per_s if tokens_per_s > 0 else 0.0
            reply.delay_s = latency_s + decode
        return reply

    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description="Scriptable OpenAI-compatible test server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--text", default=None)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-status", type=int, default=500)
    parser.add_argument(
        "--handler",
        default=None,
        help="module:function of a Handler to use instead of the Script; it answers after "
        "--latency seconds (+ decode time with --tokens-per-s) unless its Reply sets a delay",
    )
    parser.add_argument("--tokens-per-s", type=float, default=0.0, help="decode speed")
    parser.add_argument("--no-record", action="store_true", help="count requests, keep none")
    args = parser.parse_args()
    handler = Script(args.latency, args.text, args.fail_first, args.fail_status).handler()
    if args.handler:
        handler = _with_latency(_import_handler(args.handler), args.latency, args.tokens_per_s)
    server = LocalLLMServer(handler, port=args.port, record=not args.no_record)
    uvicorn.run(
        server.app(),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        backlog=4096,
        # Idle keep-alive connections stay open: a server closing one just as the client
        # reuses it turns into a spurious connection error under load.
        timeout_keep_alive=120,
    )


if __name__ == "__main__":
    main()
