"""Fixtures: the real local OpenAI-compatible server and gateways pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from quarkmed_dagster.llm.testing_server import LocalLLMServer, Script

FAKE_KEY = "sk-test-SECRET123"


@pytest.fixture(scope="session")
def llm_server_session() -> Iterator[LocalLLMServer]:
    server = LocalLLMServer().start()
    yield server
    server.stop()


@pytest.fixture()
def llm_server(llm_server_session: LocalLLMServer, monkeypatch) -> LocalLLMServer:
    """The shared server, reset to default answers; OPENAI_API_KEY set to a fake key."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    llm_server_session.script(Script())
    return llm_server_session


@pytest.fixture()
def make_gateway(llm_server: LocalLLMServer, tmp_path: Path) -> Callable:
    from quarkmed_dagster.llm.budget import Budget
    from quarkmed_dagster.llm.cache import CallCache
    from quarkmed_dagster.llm.config import parse_profile
    from quarkmed_dagster.llm.gateway import LiteLLMGateway

    def build(warehouse=None, budget: Budget | None = None, label: str = "test", **deployment):
        settings = {
            "api_base": llm_server.url,
            "concurrency": 16,
            "timeout_s": 5,
            "max_attempts": 3,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
            "json_mode": "json_object",
            **deployment,
        }
        profile = parse_profile(
            {"profiles": {"t": {"defaults": settings, "key_env": ["OPENAI_API_KEY"]}}}, "t"
        )
        cache = CallCache(tmp_path / "cache" / "calls.sqlite")
        return LiteLLMGateway(profile, label, cache=cache, warehouse=warehouse, budget=budget)

    return build
