"""Pre-flight checks of `quarkmed eval` (pure functions, a real socket)."""

import socket

import pytest

from quarkmed_dagster.evaluation.preflight import (
    PreflightError,
    check_reachable,
    key_variable,
    preflight,
    public_url,
)
from quarkmed_dagster.evaluation.selection import read_query_ids, select_queries


def test_key_variable_per_provider():
    assert key_variable("openai/gpt-4o") == "OPENAI_API_KEY"
    assert key_variable("anthropic/claude-3-5-sonnet-latest") == "ANTHROPIC_API_KEY"
    assert key_variable("ollama/llama3.1") is None
    assert key_variable("gpt-4o") == "OPENAI_API_KEY"  # litellm's default provider


def test_missing_judge_key_is_named(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(PreflightError, match="ANTHROPIC_API_KEY is not set: the judges"):
        preflight("baseline/reference-candidate", None, ("ANTHROPIC_API_KEY",))


def test_reachable_and_unreachable_endpoints():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        check_reachable(f"http://127.0.0.1:{listener.getsockname()[1]}/v1")
        port = listener.getsockname()[1]
    with pytest.raises(PreflightError, match=f"cannot reach http://127.0.0.1:{port}/v1"):
        check_reachable(f"http://127.0.0.1:{port}/v1")


def test_public_url_drops_credentials():
    assert public_url("https://u:sk-secret@host:8443/v1?key=sk-2") == "https://host:8443/v1"


def test_query_selection(tmp_path):
    listed = tmp_path / "ids.txt"
    listed.write_text('q2\n# comment\n{"query_id": "q9"}\nq1\n')
    chosen, unknown = select_queries(["q1", "q2", "q3"], read_query_ids(listed), None)
    assert chosen == ["q1", "q2"] and unknown == ["q9"]
    assert select_queries(["q1", "q2", "q3"], None, 2) == (["q1", "q2"], [])
