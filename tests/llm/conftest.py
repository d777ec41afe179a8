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
    from quarkmed_dagster.llm.gateway import LiteLLMGateway
    from quarkmed_dagster.llm.testing_server import local_profile

    def build(
        warehouse=None,
        budget: Budget | None = None,
        label: str = "test",
        run_id: str | None = None,
        **deployment,
    ):
        profile = local_profile(llm_server.url, **deployment)
        cache = CallCache(tmp_path / "cache" / "calls.sqlite")
        return LiteLLMGateway(
            profile, label, cache=cache, warehouse=warehouse, budget=budget, run_id=run_id
        )

    return build
