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
from quarkmed_dagster.rewards.service import check_bind, create_app, main
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
    (b'{"prompt": "x"}', 422, "invalid request"),
    (b'{"prompt": 1, "completion": "y"}', 422, "invalid request"),
    (b'{"prompt": "x", "completion": "y", "extra": 1}', 422, "invalid request"),
    (b'{"prompt": "x", "completion": "y", "query_id": ""}', 422, "invalid request"),
    (b'{"requests": []}', 422, "empty batch"),
    (b'{"requests": "nope"}', 422, '"requests" must be the only key and hold a list'),
    (b"\xff\xfe", 400, "malformed JSON"),
    (b"", 400, "malformed JSON"),
]


def test_malformed_requests_get_clear_4xx(service):
    for content, status, error in MALFORMED:
        response = httpx.post(
            f"{service}/v1/rewards",
            content=content,
            headers={"content-type": "application/json"},
            timeout=30,
        )
        assert response.status_code == status, content
        assert response.json()["error"] == error, content
    assert httpx.get(f"{service}/v1/rewards", timeout=30).status_code == 405


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
    with RunningServer(app) as url:
        assert httpx.post(f"{url}/v1/rewards", json=payload, timeout=30).status_code == 401
        wrong = {"authorization": "Bearer nope"}
        assert httpx.post(f"{url}/v1/rewards", json=payload, headers=wrong).status_code == 401
        right = {"authorization": f"Bearer {TOKEN}"}
        ok = httpx.post(f"{url}/v1/rewards", json=payload, headers=right, timeout=30)
        assert ok.status_code == 200 and "reward" in ok.json()


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
