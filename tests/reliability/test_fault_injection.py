"""A whole pipeline run (ingest -> evidence -> rubrics -> candidates -> judging -> scores ->
marts and report) whose model server answers with seeded 429 storms, 500s, timeouts,
malformed and truncated JSON and slow replies: the run finishes, every retry is bounded and
accounted for, and every failure is a NULL that the marts and the report count."""

from __future__ import annotations

import polars as pl

from tests.reliability.conftest import FAKE_KEY, MAX_ATTEMPTS, FaultRun

FAULT_KINDS = {
    "storm_429", "429", "500", "timeout", "truncated", "malformed_body", "slow", "dead_429",
    "dead_truncated",
}  # fmt: skip


def test_run_finishes_and_every_fault_kind_was_served(fault_run: FaultRun) -> None:
    assert fault_run.outcome.success, fault_run.outcome.failed_steps
    assert len(fault_run.outcome.runs) == 2  # the ingest batch, then every downstream stage
    assert set(fault_run.faults.injected) >= FAULT_KINDS, fault_run.faults.injected
    # the fake key really was in use: the server saw it on every request
    assert fault_run.server_authorizations == {f"Bearer {FAKE_KEY}"}


def test_retries_are_bounded_and_every_attempt_is_logged(fault_run: FaultRun) -> None:
    calls = fault_run.warehouse.read(
        "SELECT role, status, error_class, attempts FROM llm_calls WHERE status <> 'cached'"
    )
    # every request the server saw belongs to one logged call: nothing retried off the books
    assert calls["attempts"].sum() == fault_run.server_requests
    # a call tries at most max_attempts times, twice when its output is re-asked once
    assert calls["attempts"].max() <= 2 * MAX_ATTEMPTS
    transient = calls.filter(
        pl.col("error_class").is_in(["RateLimitError", "InternalServerError", "Timeout"])
    )
    assert transient.height > 0
    # retried up to the bound, not beyond; one more when the transient errors hit the re-ask
    # of a call whose first reply was off its schema (that first ask is an attempt too)
    assert MAX_ATTEMPTS in set(transient["attempts"])
    assert set(transient["attempts"]) <= {MAX_ATTEMPTS, MAX_ATTEMPTS + 1}
    assert calls.filter(pl.col("error_class") == "InvalidOutput").height > 0


def test_failures_are_nulls_never_defaults(fault_run: FaultRun) -> None:
    wh = fault_run.warehouse
    responses = wh.read_table("candidate_responses")
    # a failed call, a reply still unusable after its re-ask, a declined answer: NULL text
    missing_status = pl.col("status").is_in(["failed", "unparseable", "no_answer"])
    failed = responses.filter(missing_status)
    assert failed.height > 0 and failed["response_text"].null_count() == failed.height
    assert responses.filter(~missing_status)["response_text"].null_count() == 0

    verdicts = wh.read_table("judge_verdicts")
    assert {"failed", "unparseable"} <= set(verdicts["status"])
    missing = verdicts.filter(pl.col("status") != "ok")
    assert missing["level"].null_count() == missing.height
    assert verdicts.filter(pl.col("status") == "ok")["level"].null_count() == 0

    scores = wh.read_table("query_scores").join(
        failed.select("response_id"), on="response_id", how="semi"
    )
    assert scores.height == failed.height
    assert scores["score"].null_count() == scores.height and scores["flagged_low_coverage"].all()

    sets = wh.read("SELECT status FROM rubric_sets")["status"].to_list()
    assert sets and set(sets) <= {"ok", "review", "failed"}  # a failed call is never an item


def _query_id(fault_run: FaultRun, words: str) -> str:
    return fault_run.warehouse.read(
        "SELECT query_id FROM queries WHERE final_user_turn LIKE ?", [f"%{words}%"]
    ).item()


def test_prompts_that_always_fail_leave_nulls_in_every_stage(fault_run: FaultRun) -> None:
    wh = fault_run.warehouse
    # a candidate endpoint in a 429 storm that never ends for one query: a NULL answer
    diabetes = _query_id(fault_run, "early signs of type 2 diabetes")
    answer = wh.read(
        "SELECT status, response_text FROM candidate_responses "
        "WHERE query_id = ? AND candidate_model = 'openai/cand-vague'",
        [diabetes],
    )
    assert answer.rows() == [("failed", None)]
    # a judge whose replies are always cut short: unparseable NULL verdicts, never a level
    session = _query_id(fault_run, "Around my belly button")
    verdicts = wh.read(
        "SELECT v.judge_model, v.status, v.level FROM judge_verdicts v "
        "JOIN candidate_responses r USING (response_id) WHERE r.query_id = ? "
        "AND r.response_text IS NOT NULL",
        [session],
    )
    judge_b = verdicts.filter(pl.col("judge_model") == "openai/judge-b")
    assert judge_b.height > 0 and set(judge_b["status"]) == {"unparseable"}
    assert judge_b["level"].null_count() == judge_b.height
    assert verdicts.filter(pl.col("judge_model") == "openai/judge-a")["level"].null_count() == 0
    # a generator whose JSON is truncated again after the re-ask: failed, no text
    pressure = _query_id(fault_run, "if I have high blood pressure")
    answers = wh.read(
        "SELECT DISTINCT status, answer_text FROM candidate_answers "
        "WHERE query_id = ? AND generator = 'openai/gen-b'",
        [pressure],
    )
    assert answers.rows() == [("failed", None)]
    reasked = wh.read(
        "SELECT DISTINCT error_class FROM llm_calls WHERE role = 'generators' "
        "AND model = 'openai/gen-b' AND status = 'failed' AND error_class = 'InvalidOutput'"
    )
    assert reasked.height == 1


def test_failures_are_counted_in_the_marts_and_the_report(fault_run: FaultRun) -> None:
    wh = fault_run.warehouse
    null_verdicts = wh.read("SELECT count(*) - count(level) AS n FROM item_verdicts").item()
    breakdown = wh.read(
        "SELECT sum(n_items - n_judged) AS missing, sum(n_items) AS items "
        "FROM leaderboard_breakdown"
    ).row(0, named=True)
    assert null_verdicts > 0 and breakdown["missing"] == null_verdicts
    failed_calls = wh.read("SELECT count(*) FROM llm_calls WHERE status = 'failed'").item()
    counted = wh.read("SELECT sum(calls_failed) FROM cost_by_model_stage").item()
    assert failed_calls > 0 and counted == failed_calls
    coverage = wh.read("SELECT min(coverage) FROM leaderboard WHERE category = 'all'").item()
    assert coverage < 1.0  # the leaderboard says how much of it was actually judged

    n_calls = wh.count("llm_calls")
    report = (fault_run.home / "reports" / "report.html").read_text(encoding="utf-8")
    assert f"failed after their bounded retries: {failed_calls} of {n_calls}" in report
    n_items = wh.count("item_verdicts")
    assert f"scores): {null_verdicts} of {n_items}</li>" in report
