"""`quarkmed eval`: a user model, served by the local OpenAI-compatible test server and
called through litellm's real code path, is graded with the rubrics and judges already in
the warehouse (no rubric call) and joins the leaderboard; a missing key fails at once."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply
from tests.integration.main_job import run_quarkmed

MODEL = "openai/acme-med-7b"


def _answer(request: dict, attempt: int) -> Reply:
    prompt = request["messages"][-1]["content"]
    data = json.loads(prompt.split("<data>", 1)[1].rsplit("</data>", 1)[0])
    text = (
        f"About your question ({data['query'][:60]}): see a doctor if symptoms get worse, "
        "take medicines as prescribed and rest."
    )
    return Reply(text=json.dumps({"answer": text}))


@pytest.fixture()
def eval_home(main_job, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the session main job's data home (warehouse, cache, Dagster instance)."""
    home = tmp_path / "home"
    shutil.copytree(main_job.home, home)
    return home, {**main_job.env, "QUARKMED_DATA_HOME": str(home)}


def _query(home: Path, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_eval_grades_a_user_model_with_the_current_rubrics_and_judges(eval_home):
    home, env = eval_home
    env = {**env, "OPENAI_API_KEY": "sk-test-not-real"}
    rubric_calls_before = _query(home, "SELECT count(*) FROM llm_calls WHERE role <> 'candidates' "
                                 "AND role <> 'judges'")[0][0]  # fmt: skip
    with LocalLLMServer(_answer) as server:
        done = run_quarkmed(env, "eval", "--model", MODEL, "--api-base", server.url)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        first_requests = len(server.requests)
        again = run_quarkmed(env, "eval", "--model", MODEL, "--api-base", server.url)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert len(server.requests) == first_requests  # re-run: every call from the cache
    n_queries = _query(home, "SELECT count(DISTINCT query_id) FROM current_rubric_items")[0][0]
    assert first_requests == n_queries  # one answer per current query, nothing else asked
    assert MODEL in done.stdout and "same rubrics" in done.stdout
    assert "eval_job" in done.stdout

    board = dict(_query(home, "SELECT candidate_model, n_queries FROM leaderboard "
                              "WHERE lower(category) = 'all'"))  # fmt: skip
    assert board[MODEL] == n_queries and len(board) > 1
    # the same rubric set per query and the same judges as every other model
    versions = _query(
        home,
        "SELECT DISTINCT e.rubric_set_version = s.rubric_set_version, e.judge_models, "
        "e.judging_version FROM model_evaluations AS e JOIN query_scores AS s USING (query_id) "
        "WHERE s.candidate_model <> ?",
        MODEL,
    )
    other_judges = _query(home, "SELECT string_agg(DISTINCT judge_model, ',' ORDER BY "
                                "judge_model) FROM judge_verdicts")[0][0]  # fmt: skip
    assert {(same, judges) for same, judges, _ in versions} == {(True, other_judges)}
    assert all(v[2].startswith("judging-") for v in versions)
    # no rubric regeneration: no call of any role but the candidate's and the judges'
    rubric_calls_after = _query(home, "SELECT count(*) FROM llm_calls WHERE role <> "
                                "'candidates' AND role <> 'judges'")[0][0]  # fmt: skip
    assert rubric_calls_after == rubric_calls_before
    runs = _query(home, "SELECT count(DISTINCT run_id) FROM eval_requests")[0][0]
    assert runs == 2


def test_eval_without_the_key_fails_at_once_naming_the_variable(eval_home):
    home, env = eval_home
    env = {k: v for k, v in env.items() if k != "OPENAI_API_KEY"}
    started = time.monotonic()
    done = run_quarkmed(env, "eval", "--model", "openai/gpt-4o")
    elapsed = time.monotonic() - started
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: OPENAI_API_KEY is not set: litellm needs it to call openai/gpt-4o"
    ]
    assert elapsed < 5, elapsed
    assert _query(home, "SELECT count(*) FROM eval_requests")[0][0] == 0


def test_eval_against_a_dead_endpoint_fails_at_once_naming_the_url(eval_home):
    _home, env = eval_home
    env = {**env, "OPENAI_API_KEY": "sk-test-not-real"}
    url = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    started = time.monotonic()
    done = run_quarkmed(env, "eval", "--model", MODEL, "--api-base", url)
    assert done.returncode == 2 and time.monotonic() - started < 5
    assert done.stderr.startswith(f"error: cannot reach {url}")
