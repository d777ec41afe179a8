"""HTTP reward service (starlette + uvicorn).

``POST /v1/rewards`` with ``{"prompt", "completion", "query_id"?}`` or ``{"requests": [...]}``
-> reward vector (normalized), aggregate reward and per-dimension breakdown.
``GET /healthz`` -> stats version and hash.

Safe defaults: binds 127.0.0.1; refuses to start on any other address without a bearer
token (read from ``--token-file``, never from the command line); with a token, every route
needs it; bounded body size, JSON nesting depth and batch length; malformed input gets a
JSON 4xx, a scoring failure (or any unexpected error) a JSON 500, never a crash.

Run: ``python -m quarkmed_dagster.rewards.service --host 127.0.0.1 --port 8765``
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import re
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from quarkmed_dagster.rewards.scorer import RewardRequest, RewardScorer

LOG = logging.getLogger(__name__)
Endpoint = Callable[[Request], Awaitable[JSONResponse]]
DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_MAX_BATCH = 64
MAX_TEXT_CHARS = 64_000
# The deepest valid body is {"requests": [{"completion": [{"content": ...}]}]} (depth 4);
# checked before parsing, so "[" * 100_000 never reaches the recursive JSON decoder.
MAX_JSON_DEPTH = 8
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str = Field(max_length=32)
    content: str = Field(max_length=MAX_TEXT_CHARS)


class RewardItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str | list[Message] = Field(max_length=MAX_TEXT_CHARS)
    completion: str | list[Message] = Field(max_length=MAX_TEXT_CHARS)
    query_id: str | None = Field(default=None, min_length=1, max_length=128)

    def to_request(self) -> RewardRequest:
        def plain(value: str | list[Message]) -> Any:
            return value if isinstance(value, str) else [m.model_dump() for m in value]

        return RewardRequest(plain(self.prompt), plain(self.completion), self.query_id)


class ServiceError(Exception):
    def __init__(self, status: int, error: str, detail: Any = None) -> None:
        super().__init__(error)
        self.status, self.error, self.detail = status, error, detail


def _error(status: int, error: str, detail: Any = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback bind without a bearer token."""
    if not is_loopback(host) and not token:
        raise ValueError(f"refusing to listen on {host} without a bearer token (--token-file)")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ServiceError(400, "invalid Content-Length")
        if int(declared) > limit:
            raise ServiceError(413, "request body too large", {"max_bytes": limit})
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ServiceError(413, "request body too large", {"max_bytes": limit})
    return bytes(body)


def nested_deeper_than(text: str, limit: int) -> bool:
    """Bracket nesting outside strings beyond ``limit`` (exact for the prefix a JSON parser
    accepts, so a body that passes never makes the recursive decoder go deeper)."""
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            return True
    return False


def _decode(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")  # RFC 8259: JSON on the wire is UTF-8, nothing else
    except UnicodeDecodeError as exc:
        raise ServiceError(400, "body is not valid UTF-8", str(exc)) from None
    if nested_deeper_than(text, MAX_JSON_DEPTH):
        raise ServiceError(400, "JSON nested too deeply", {"max_depth": MAX_JSON_DEPTH})
    try:
        payload = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer past Python's digit limit
        raise ServiceError(400, "malformed JSON", str(exc)) from None
    try:  # a lone surrogate escape ("\ud800") parses but is not text
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ServiceError(400, "malformed JSON", "lone surrogate in a string") from None
    return payload


def _parse(body: bytes, max_batch: int) -> tuple[list[RewardItem], bool]:
    payload = _decode(body)
    if not isinstance(payload, dict):
        raise ServiceError(422, "body must be a JSON object")
    batched = "requests" in payload
    raw_items = payload["requests"] if batched else [payload]
    if batched and (not isinstance(raw_items, list) or set(payload) != {"requests"}):
        raise ServiceError(422, '"requests" must be the only key and hold a list')
    if not raw_items:
        raise ServiceError(422, "empty batch")
    if len(raw_items) > max_batch:
        raise ServiceError(413, "batch too long", {"max_batch": max_batch})
    items, detail = [], []
    for index, raw in enumerate(raw_items):
        try:
            items.append(RewardItem.model_validate(raw))
        except ValidationError as exc:
            prefix = ["requests", index] if batched else []
            detail += [
                {"loc": prefix + list(e["loc"]), "msg": e["msg"]}
                for e in exc.errors(include_input=False)
            ]
    if detail:
        raise ServiceError(422, "invalid request", detail)
    return items, batched


def create_app(
    scorer: RewardScorer,
    token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> Starlette:
    def authorized(request: Request) -> bool:
        if not token:
            return True
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(value.strip(), token)

    async def rewards(request: Request) -> JSONResponse:
        try:
            items, batched = _parse(await _read_body(request, max_body_bytes), max_batch)
        except ServiceError as exc:
            return _error(exc.status, exc.error, exc.detail)
        requests = [item.to_request() for item in items]
        try:
            results = await run_in_threadpool(scorer.score_batch, requests)
        except Exception as exc:  # a scoring failure must not take the service down
            LOG.exception("reward scoring failed")
            return _error(500, "scoring failed", type(exc).__name__)
        return JSONResponse({"results": results} if batched else results[0])

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "stats_version": scorer.stats.version,
                "stats_hash": scorer.stats.content_hash,
                "matrix_version": scorer.matrix.version,
                "dimensions": list(scorer.matrix.names),
            }
        )

    def guarded(handler: Endpoint) -> Endpoint:
        """With a token configured, every route needs it (health too: it names the stats)."""

        async def endpoint(request: Request) -> JSONResponse:
            if not authorized(request):
                return _error(401, "missing or invalid bearer token")
            return await handler(request)

        return endpoint

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        LOG.exception("reward service error", exc_info=exc)
        return _error(500, "internal error", type(exc).__name__)

    return Starlette(
        routes=[
            Route("/v1/rewards", guarded(rewards), methods=["POST"]),
            Route("/healthz", guarded(healthz), methods=["GET"]),
        ],
        exception_handlers={Exception: unexpected},  # JSON, not plain text, if a bug slips by
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="QuarkMed HTTP reward service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token-file", type=Path, default=None)
    parser.add_argument("--stats-version", default=None, help="frozen RFN stats version")
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument("--max-batch", type=int, default=DEFAULT_MAX_BATCH)
    parser.add_argument("--adaptive", action="store_true", help="one TADW step per batch")
    parser.add_argument(
        "--judge-mode",
        choices=["batched", "per_item"],
        default="batched",
        help="as the judging stage: one call per response, or one per rubric item",
    )
    parser.add_argument("--judge-seed", type=int, default=0, help="judging stage item shuffle")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    token = args.token_file.read_text().strip() if args.token_file else None
    try:
        check_bind(args.host, token)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from quarkmed_dagster.rewards.wiring import build_warehouse_scorer

    scorer = build_warehouse_scorer(
        stats_version=args.stats_version,
        adaptive=args.adaptive,
        judge_mode=args.judge_mode,
        judge_seed=args.judge_seed,
    )
    app = create_app(scorer, token, args.max_body_bytes, args.max_batch)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
