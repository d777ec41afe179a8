"""A real language model plays every role: the main job (`quarkmed run`, as the README runs
it) with the `tiny-local` profile, through litellm's OpenAI provider, against a real
llama.cpp server (SmolLM2-135M, CPU) on 2 K-QA queries.

Not about quality (a 135M model grades nonsense): every stage completes, and the call,
re-ask and NULL accounting adds up. If the server cannot be built or started, the test
fails; it never skips. scripts/test.sh starts the server (QUARKMED_TEST_LLM_URL); run alone,
the fixture starts and stops it itself.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.integration.main_job import PROJECT, SAMPLE, run_quarkmed
from tests.server_scripts import served_by

# The module's first test runs the whole main job on the real model (its fixture): on a busy
# 2-core machine that can take longer than the suite's per-test default.
pytestmark = [pytest.mark.timeout(2400), pytest.mark.tiny_model]

SERVER_SCRIPT = PROJECT / "scripts" / "llm_server.sh"
QUERIES = 2
CONCORDANCE_ROWS = 2


@pytest.fixture(scope="session")
def tiny_llm_url() -> Iterator[str]:
    url = os.environ.get("QUARKMED_TEST_LLM_URL")
    if url:
        yield url
        return
    if os.environ.get("QUARKMED_TEST_LLM_ERROR"):
        pytest.fail(
            "scripts/test.sh could not start the llama.cpp server:\n"
            + os.environ["QUARKMED_TEST_LLM_ERROR"],
            pytrace=False,
        )
    yield from served_by(SERVER_SCRIPT, "llama-server", start_timeout=3600, stop_timeout=60)


@pytest.fixture(scope="module")
def tiny_run(tiny_llm_url: str, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("tiny")
    sample = root / "sample"
    (sample / "queries").mkdir(parents=True)
    kqa = (SAMPLE / "queries" / "kqa_sample.jsonl").read_text("utf-8").split("\n")
    (sample / "queries" / "kqa_sample.jsonl").write_text("\n".join(kqa[:3]) + "\n", "utf-8")
    shutil.copytree(SAMPLE / "corpus", sample / "corpus")
    shutil.copytree(SAMPLE / "audit", sample / "audit")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("QUARKMED_ES_URL", "OPENAI_API_KEY")},
        "QUARKMED_DATA_HOME": str(root / "home"),
        "QUARKMED_SAMPLE_DATA_DIR": str(sample),
        "QUARKMED_MODEL_PROFILE": "tiny-local",
        "QUARKMED_LOCAL_API_BASE": tiny_llm_url,
        "QUARKMED_QUERY_LIMIT": str(QUERIES),
        "QUARKMED_RETRIEVAL_TOP_K": "2",
        "QUARKMED_CONCORDANCE_LIMIT": str(CONCORDANCE_ROWS),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    started = time.monotonic()
    done = run_quarkmed(env)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"\n[tiny model] main job on {QUERIES} queries: {elapsed:.0f} s")
    return root / "home", done


def _sql(home: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(query).fetchall()


def test_every_stage_completes_with_the_tiny_model_in_every_role(tiny_run):
    home, done = tiny_run
    roles = dict(_sql(home, "SELECT role, count(*) FROM llm_calls GROUP BY role"))
    # every role reached the real server (no offline baseline answered anything)
    for role in ("classifier", "generators", "candidates", "judges"):
        assert roles.get(role, 0) > 0, roles
    assert _sql(home, "SELECT count(*) FROM llm_calls WHERE is_baseline") == [(0,)]
    assert _sql(home, "SELECT DISTINCT model FROM llm_calls") == [("openai/smollm2-135m",)]
    queries = _sql(home, "SELECT query_id FROM queries")
    assert len(queries) == QUERIES
    # nothing silently lost: every query has a rubric set (a rubric, a review reason, or an
    # infrastructure failure such as no usable answer in the last round, retried next run)
    assert _sql(home, "SELECT count(DISTINCT query_id) FROM rubric_sets") == [(QUERIES,)]
    reasons = {r for (r,) in _sql(home, "SELECT DISTINCT reason FROM review_queue")}
    assert reasons <= {"no_usable_points", "low_agreement", "insufficient_verified_points",
                       "constraint_violation", "low_calibration"}  # fmt: skip
    # a leaderboard row of the tiny model is labelled as such (there may be none: its
    # rubrics rarely pass the constraints)
    board = done.stdout.split("LEADERBOARD", 1)[-1]
    assert "openai/smollm2-135m " not in board or "[tiny model]" in board
    report = (home / "reports" / "report.html").read_text("utf-8")
    assert "[tiny model] openai/smollm2-135m" in report and "Model calls by role" in report
    assert "not a measurement" in report
    # every K-QA row the judge was asked about is counted, stored as a limited set
    sets = _sql(home, "SELECT DISTINCT audit_set FROM concordance")
    assert sets and all(f"@first{CONCORDANCE_ROWS}" in s for (s,) in sets)


def test_call_reask_and_null_accounting_adds_up(tiny_run):
    home, _ = tiny_run
    # model_call_stats partitions the call log: live calls + cache hits = requests
    [(requests, calls, cached, log_rows)] = _sql(
        home,
        "SELECT sum(requests), sum(calls), sum(cached), (SELECT count(*) FROM llm_calls) "
        "FROM model_call_stats",
    )
    assert requests == calls + cached == log_rows
    # an unparseable reply was re-asked exactly once before it became NULL
    assert _sql(
        home, "SELECT count(*) FROM llm_calls WHERE error_class = 'InvalidOutput' "
        "AND coalesce(reasks, 0) <> 1"
    ) == [(0,)]  # fmt: skip
    [(unparseable, reasks, nulls)] = _sql(
        home, "SELECT sum(unparseable), sum(reasks), sum(null_results) FROM model_call_stats"
    )
    assert unparseable <= reasks and unparseable <= nulls
    # every failed call carries its reason; no failure is an 'ok' value
    assert _sql(
        home, "SELECT count(*) FROM llm_calls WHERE status = 'failed' AND error_class IS NULL"
    ) == [(0,)]
    # a failed generator call is a missing answer, never text
    assert _sql(
        home,
        "SELECT count(*) FROM candidate_answers a JOIN llm_calls c USING (cache_key) "
        "WHERE c.status = 'failed' AND a.answer_text IS NOT NULL",
    ) == [(0,)]
    # candidates: one row per query and model; NULL text exactly when not 'ok'
    rows = _sql(home, "SELECT status, response_text IS NULL FROM candidate_responses")
    assert len(rows) == QUERIES
    assert all((status == "ok") != is_null for status, is_null in rows)
    # a judge verdict has a level only when it is a real verdict
    assert _sql(
        home,
        "SELECT count(*) FROM judge_verdicts WHERE (level IS NULL) <> (status <> 'ok')",
    ) == [(0,)]


def test_every_sent_prompt_fit_the_served_context_window(tiny_run):
    home, _ = tiny_run
    rows = _sql(
        home,
        "SELECT role, prompt_tokens_est, tokens_in, status, error_class FROM llm_calls "
        "WHERE status <> 'cached'",
    )
    sent = [r for r in rows if r[4] != "ContextOverflow"]
    assert sent and all(est is not None for _, est, _, _, _ in sent)
    # the estimate over-counts what the server's tokenizer counted (re-asks add a turn)
    single = _sql(
        home,
        "SELECT prompt_tokens_est, tokens_in FROM llm_calls WHERE status = 'ok' "
        "AND coalesce(reasks, 0) = 0 AND tokens_in > 0",
    )
    assert single and all(est >= tokens for est, tokens in single)
    assert all(est <= 4096 for _, est, _, _, _ in sent)
