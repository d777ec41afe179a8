"""The HTTP reward service, started on 127.0.0.1 (ephemeral port), called over HTTP; its
judge is the scripted judge on the local OpenAI-compatible server, graded through the
judging stage's code."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

import httpx
import polars as pl
import pytest
import uvicorn

from quarkmed_dagster.judging.stage import judge_stage
from quarkmed_dagster.rewards.service import (
    DEFAULT_MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    check_bind,
    create_app,
    main,
)
from quarkmed_dagster.rewards.wiring import WarehouseRubrics, gateway_grader
from quarkmed_dagster.settings import PROJECT_ROOT
from tests.rewards.helpers import (
    BREAK_JUDGE,
    GOOD,
    ITEMS,
    JUDGE,
    JUDGE_DOWN,
    QUERY,
    QUERY_ID,
    UNSAFE,
    build_scorer,
    insert_query_and_rubric,
    judge_gateway,
)

TOKEN = "test-token-123"


class RunningServer:
    def __init__(self, app) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def service(warehouse, tmp_path, judge_server):
    insert_query_and_rubric(warehouse)
    scorer = build_scorer(warehouse, tmp_path, judge_server.url)
    app = create_app(scorer, token=None, max_body_bytes=8_000, max_batch=4)
    with RunningServer(app) as url:
        yield url


def test_valid_requests_get_vector_aggregate_and_breakdown(service):
    with httpx.Client(base_url=service, timeout=30) as client:
        health = client.get("/healthz").json()
        assert health["stats_version"] == "rfn-test"
        good = client.post(
            "/v1/rewards", json={"prompt": QUERY, "completion": GOOD, "query_id": QUERY_ID}
        )
        assert good.status_code == 200
        body = good.json()
        assert isinstance(body["reward"], float) and not body["gated"]
        assert body["breakdown"]["essential_coverage"]["sources"] == ["i1", "i2"]
        assert body["breakdown"]["pitfall_avoidance"]["category"] == "expert_knowledge"
        assert set(body["vector"]) == set(health["dimensions"])
        unsafe = client.post(
            "/v1/rewards", json={"prompt": QUERY, "completion": UNSAFE, "query_id": QUERY_ID}
        ).json()
        assert unsafe["gated"] and "i5" in unsafe["gate_reason"]
        assert unsafe["reward"] <= -2.0 < body["reward"]
        # A batch with chat-message completions, and one without query id (format only).
        batch = client.post(
            "/v1/rewards",
            json={
                "requests": [
                    {
                        "prompt": [{"role": "user", "content": QUERY}],
                        "completion": [{"role": "assistant", "content": GOOD}],
                        "query_id": QUERY_ID,
                    },
                    {"prompt": QUERY, "completion": GOOD},
                ]
            },
        ).json()
        first, second = batch["results"]
        assert first["reward"] == pytest.approx(body["reward"])
        assert second["vector"]["essential_coverage"] is None
        assert second["vector"]["length"] is not None


def test_failed_or_unparseable_judgments_are_missing_not_not_met(service):
    body = {
        "requests": [
            {"prompt": QUERY, "completion": GOOD + " " + marker, "query_id": QUERY_ID}
            for marker in (BREAK_JUDGE, JUDGE_DOWN)
        ]
    }
    response = httpx.post(f"{service}/v1/rewards", json=body, timeout=60)
    assert response.status_code == 200
    for result in response.json()["results"]:
        for name in ("essential_coverage", "pitfall_avoidance", "safety"):
            assert result["breakdown"][name]["raw"] is None, name
            assert result["vector"][name] is None
        assert not result["gated"]  # no verdict is not a "major error" either
        assert result["vector"]["length"] is not None  # format checks still apply
        assert isinstance(result["reward"], float)


def test_service_grades_exactly_as_the_judging_stage(warehouse, tmp_path, judge_server):
    """Same prompts (a response the judging stage graded is a cache hit), same verdicts."""
    insert_query_and_rubric(warehouse)
    gateway = judge_gateway(warehouse, tmp_path, judge_server.url)
    responses = pl.DataFrame(
        {"response_id": ["r1", "r2"], "query_id": [QUERY_ID] * 2, "response_text": [GOOD, UNSAFE]}
    )
    stage = judge_stage(
        gateway,
        [JUDGE],
        warehouse.read_table("queries"),
        responses,
        warehouse.read("SELECT * FROM current_rubric_items"),
    )
    stage_levels = {
        rid: dict(part.select("item_id", "level").iter_rows())
        for (rid,), part in stage.item_verdicts.group_by(["response_id"])
    }
    calls = len(judge_server.requests)
    grade = gateway_grader(gateway, [JUDGE], WarehouseRubrics(warehouse))
    assert grade([(QUERY_ID, GOOD), (QUERY_ID, UNSAFE)]) == [stage_levels["r1"], stage_levels["r2"]]
    assert len(judge_server.requests) == calls  # identical prompts: all from the cache
    assert stage_levels["r1"] == {"i1": 1.0, "i2": 1.0, "i3": 1.0, "i4": 0.0, "i5": 0.0}

    per_item = gateway_grader(gateway, [JUDGE], WarehouseRubrics(warehouse), mode="per_item")
    assert per_item([(QUERY_ID, GOOD)]) == [stage_levels["r1"]]
    assert len(judge_server.requests) == calls + len(ITEMS)  # one call per item


MALFORMED = [
    (b"{not json", 400, "malformed JSON"),
    (b"[1, 2]", 422, "body must be a JSON object"),
    (b"null", 422, "body must be a JSON object"),
    (b'"text"', 422, "body must be a JSON object"),
    (b'{"prompt": "x"}', 422, "invalid request"),
    (b'{"prompt": 1, "completion": "y"}', 422, "invalid request"),
    (b'{"prompt": NaN, "completion": "y"}', 422, "invalid request"),
    (b'{"prompt": "x", "completion": [{"role": "a", "content": 5}]}', 422, "invalid request"),
    (b'{"prompt": "x", "completion": [1]}', 422, "invalid request"),
    (b'{"prompt": "x", "completion": "y", "extra": 1}', 422, "invalid request"),
    (b'{"prompt": "x", "completion": "y", "query_id": ""}', 422, "invalid request"),
    (b'{"prompt": "x", "completion": "y", "query_id": 7}', 422, "invalid request"),
    (b'{"requests": []}', 422, "empty batch"),
    (b'{"requests": "nope"}', 422, '"requests" must be the only key and hold a list'),
    (b'{"requests": null}', 422, '"requests" must be the only key and hold a list'),
    (b'{"requests": [], "prompt": "x"}', 422, '"requests" must be the only key and hold a list'),
    (b"", 400, "malformed JSON"),
    # An integer past Python's digit limit raises ValueError, not JSONDecodeError.
    (b'{"prompt": ' + b"1" * 5_000 + b', "completion": "y"}', 400, "malformed JSON"),
    # Parses, but a lone surrogate is not text (it would break the judge call or the reply).
    (b'{"prompt": "x\\ud800", "completion": "y"}', 400, "malformed JSON"),
    (b'\xef\xbb\xbf{"prompt": "x", "completion": "y"}', 400, "malformed JSON"),  # UTF-8 BOM
    (b"\xff\xfe", 400, "body is not valid UTF-8"),
    (b'{"prompt": "caf\xe9", "completion": "y"}', 400, "body is not valid UTF-8"),  # Latin-1
    ('{"prompt": "x", "completion": "y"}'.encode("utf-16"), 400, "body is not valid UTF-8"),
    # Deep nesting (under the size limit) used to raise RecursionError: a plain-text 500.
    (b"[" * 7_000, 400, "JSON nested too deeply"),
    (b'{"a": ' * 1_000, 400, "JSON nested too deeply"),
    (
        b'{"prompt": "x", "completion": ' + b"[" * 20 + b"]" * 20 + b"}",
        400,
        "JSON nested too deeply",
    ),
]


def test_malformed_requests_get_clear_4xx(service):
    for content, status, error in MALFORMED:
        response = httpx.post(
            f"{service}/v1/rewards",
            content=content,
            headers={"content-type": "application/json"},
            timeout=30,
        )
        assert response.status_code == status, content[:60]
        assert response.headers["content-type"] == "application/json", content[:60]
        assert response.json()["error"] == error, content[:60]
    assert httpx.get(f"{service}/v1/rewards", timeout=30).status_code == 405


def test_deep_nesting_is_refused_before_parsing(warehouse, tmp_path, judge_server):
    """The audit's case: "[" * 100_000, under a default-sized body limit."""
    insert_query_and_rubric(warehouse)
    app = create_app(build_scorer(warehouse, tmp_path, judge_server.url))
    assert DEFAULT_MAX_BODY_BYTES > 100_000
    with RunningServer(app) as url:
        for content in (b"[" * 100_000, b'{"requests": [' + b'{"a": [' * 30_000):
            response = httpx.post(f"{url}/v1/rewards", content=content, timeout=30)
            assert response.status_code == 400
            assert response.json() == {
                "error": "JSON nested too deeply",
                "detail": {"max_depth": MAX_JSON_DEPTH},
            }
        # The deepest valid shape still passes the depth check.
        nested = {
            "requests": [{"prompt": [{"role": "user", "content": "[[{{"}], "completion": GOOD}]
        }
        ok = httpx.post(f"{url}/v1/rewards", json=nested, timeout=60)
        assert ok.status_code == 200 and len(ok.json()["results"]) == 1


def test_invalid_batch_items_are_located(service):
    batch = {"requests": [{"prompt": "q", "completion": "a"}, {"prompt": "q"}, 3]}
    response = httpx.post(f"{service}/v1/rewards", json=batch, timeout=30)
    assert response.status_code == 422
    locations = [entry["loc"] for entry in response.json()["detail"]]
    assert ["requests", 1, "completion"] in locations
    assert ["requests", 2] in locations
    assert not any(loc[:2] == ["requests", 0] for loc in locations)


def test_unexpected_errors_answer_json_500(warehouse, tmp_path, judge_server):
    """Defence in depth: a bug outside the guarded paths still answers JSON, not text."""
    insert_query_and_rubric(warehouse)
    scorer = build_scorer(warehouse, tmp_path, judge_server.url)
    scorer.stats = None  # fault injection: /healthz now raises AttributeError
    with RunningServer(create_app(scorer)) as url:
        response = httpx.get(f"{url}/healthz", timeout=30)
        assert response.status_code == 500
        assert response.json() == {"error": "internal error", "detail": "AttributeError"}


def test_oversized_body_and_long_batch_are_refused(service):
    big = {"prompt": QUERY, "completion": "x" * 20_000}
    response = httpx.post(f"{service}/v1/rewards", json=big, timeout=30)
    assert response.status_code == 413 and response.json()["detail"] == {"max_bytes": 8_000}

    # Chunked upload without Content-Length is cut off too.
    def chunks():
        for _ in range(20):
            yield b"x" * 1_000

    response = httpx.post(f"{service}/v1/rewards", content=chunks(), timeout=30)
    assert response.status_code == 413

    batch = {"requests": [{"prompt": "q", "completion": "a"}] * 5}
    response = httpx.post(f"{service}/v1/rewards", json=batch, timeout=30)
    assert response.status_code == 413 and response.json()["detail"] == {"max_batch": 4}
    assert httpx.get(f"{service}/healthz", timeout=30).status_code == 200  # still alive


def test_bearer_token_is_enforced_when_configured(warehouse, tmp_path, judge_server):
    insert_query_and_rubric(warehouse)
    app = create_app(build_scorer(warehouse, tmp_path, judge_server.url), token=TOKEN)
    payload = {"prompt": QUERY, "completion": GOOD}
    wrong = {"authorization": "Bearer nope"}
    right = {"authorization": f"Bearer {TOKEN}"}
    with RunningServer(app) as url:
        assert httpx.post(f"{url}/v1/rewards", json=payload, timeout=30).status_code == 401
        assert httpx.post(f"{url}/v1/rewards", json=payload, headers=wrong).status_code == 401
        # Unauthorised requests are refused before the body is read or parsed.
        bad_body = httpx.post(f"{url}/v1/rewards", content=b"[" * 50_000, headers=wrong)
        assert bad_body.status_code == 401
        ok = httpx.post(f"{url}/v1/rewards", json=payload, headers=right, timeout=30)
        assert ok.status_code == 200 and "reward" in ok.json()
        # Every route, as docs/rewards.md says: /healthz names the frozen stats too.
        for headers in ({}, wrong, {"authorization": TOKEN}, {"authorization": f"Basic {TOKEN}"}):
            health = httpx.get(f"{url}/healthz", headers=headers, timeout=30)
            assert health.status_code == 401, headers
            assert health.json()["error"] == "missing or invalid bearer token"
        health = httpx.get(f"{url}/healthz", headers=right, timeout=30)
        assert health.status_code == 200 and health.json()["stats_version"] == "rfn-test"


def test_refuses_non_local_bind_without_token(tmp_path, capsys):
    with pytest.raises(ValueError):
        check_bind("0.0.0.0", None)
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("0.0.0.0", TOKEN)
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "bearer token" in capsys.readouterr().err
    proc = subprocess.run(
        [sys.executable, "-m", "quarkmed_dagster.rewards.service", "--host", "10.1.2.3"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert proc.returncode == 2 and "refusing to listen" in proc.stderr
    json.dumps(proc.stderr)  # plain text, no traceback
    assert "Traceback" not in proc.stderr
