"""`python -m quarkmed_dagster.rewards.service` as a real process with production wiring.

Settings -> warehouse rubrics, the configured profile's judges (the scripted judge on the
local OpenAI-compatible server, reached through litellm) graded by the judging stage's
code, the frozen stats artifact under <data_home>/rewards/normalization.
"""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from quarkmed_dagster.rewards.matrix import default_matrix
from quarkmed_dagster.rewards.normalization import FrozenStatsStore, fit_reference
from quarkmed_dagster.rewards.wiring import stats_store_root
from quarkmed_dagster.settings import PROJECT_ROOT
from quarkmed_dagster.warehouse import Warehouse
from tests.rewards.helpers import (
    GOOD,
    QUERY,
    QUERY_ID,
    UNSAFE,
    insert_query_and_rubric,
    judge_models_yaml,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    store = Warehouse(home / "warehouse.duckdb")
    store.ensure_schema()
    insert_query_and_rubric(store)
    matrix = default_matrix()
    samples = {name: [0.0, 0.25, 0.5, 0.75, 1.0] for name in matrix.names}
    FrozenStatsStore(stats_store_root(home)).freeze(
        fit_reference(samples, "rfn-proc", "uniform", matrix.version)
    )
    return home


def test_service_process_answers_over_http(home, judge_server):
    port = _free_port()
    env = {
        **os.environ,
        "QUARKMED_DATA_HOME": str(home),
        "QUARKMED_MODELS_CONFIG": str(judge_models_yaml(home / "models.yaml", judge_server.url)),
        "QUARKMED_MODEL_PROFILE": "scripted-judge",
    }
    env.pop("QUARKMED_WAREHOUSE_PATH", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "quarkmed_dagster.rewards.service", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode()
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        health = httpx.get(f"{url}/healthz", timeout=5).json()
        assert health["stats_version"] == "rfn-proc"
        body = {
            "requests": [
                {"prompt": QUERY, "completion": GOOD, "query_id": QUERY_ID},
                {"prompt": QUERY, "completion": UNSAFE, "query_id": QUERY_ID},
            ]
        }
        good, unsafe = httpx.post(f"{url}/v1/rewards", json=body, timeout=120).json()["results"]
        assert good["breakdown"]["essential_coverage"]["raw"] == 1.0
        assert unsafe["gated"] and good["reward"] > unsafe["reward"]
        judged = [r for r in judge_server.requests if r["model"] == "judge-a"]
        assert len(judged) == 2  # one batched call per completion, through litellm
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
