"""The scripted judge on the real local OpenAI-compatible server (reached through litellm)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quarkmed_dagster.llm.testing_server import LocalLLMServer
from tests.rewards.helpers import scripted_judge


@pytest.fixture(scope="session")
def judge_server_session() -> Iterator[LocalLLMServer]:
    server = LocalLLMServer(scripted_judge).start()
    yield server
    server.stop()


@pytest.fixture()
def judge_server(judge_server_session: LocalLLMServer, monkeypatch) -> LocalLLMServer:
    """The shared judge server with its request log cleared; a fake key for litellm."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    judge_server_session.script(scripted_judge)
    return judge_server_session
