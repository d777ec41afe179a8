"""The main job end to end, as the README runs it (`quarkmed run` in a subprocess), on a small
slice of the bundled sample with the offline baseline models: every stage runs, the demo
candidates rank in their known order, and a rerun makes no new model call."""

import re
from pathlib import Path

import duckdb

from quarkmed_dagster.baselines.candidates import EXPECTED_ORDER

# the session-wide `main_job` fixture runs `quarkmed run` once: tests/integration/main_job.py
ROW = re.compile(r"^\s*(\d+)\s+(baseline/\S+) \[baseline\]\s+([0-9.]+)\s")


def _leaderboard(stdout: str) -> dict[str, float]:
    return {m.group(2): float(m.group(3)) for m in map(ROW.match, stdout.splitlines()) if m}


def _live_calls(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT count(*) FROM llm_calls WHERE status = 'ok'").fetchone()[0]


def test_main_job_ranks_the_demo_candidates_in_their_known_order(main_job):
    home, first = main_job.home, main_job.first
    scores = _leaderboard(first.stdout)
    assert set(scores) == {f"baseline/{name}" for name in EXPECTED_ORDER}
    reference, first_sentence, generic, unsafe = (
        scores[f"baseline/{name}"] for name in EXPECTED_ORDER
    )
    assert reference > first_sentence > generic
    assert first_sentence > unsafe  # same content plus unsafe advice scores strictly lower
    report = home / "reports" / "report.html"
    assert f"HTML report: {report}" in first.stdout and report.stat().st_size > 10_000
    assert f"DuckDB warehouse: {home / 'warehouse.duckdb'}" in first.stdout
    with duckdb.connect(str(home / "warehouse_snapshot.duckdb"), read_only=True) as con:
        sessions = con.execute(
            "SELECT count(DISTINCT s.query_id) FROM query_scores AS s "
            "JOIN queries AS q USING (query_id) WHERE q.is_multi_turn"
        ).fetchone()[0]
        risk = dict(
            con.execute(
                "SELECT candidate_model, avg(risk_interception) FROM query_scores GROUP BY 1"
            ).fetchall()
        )
        pitfalls = con.execute(
            "SELECT count(*) FROM item_verdicts AS v JOIN current_rubric_items AS i "
            "USING (item_id) JOIN candidate_responses AS r USING (response_id) "
            "WHERE i.tier = 'Pitfall' AND r.candidate_model = 'baseline/unsafe-candidate' "
            "AND v.level = 1.0"
        ).fetchone()[0]
    assert sessions >= 1  # a multi-turn session is graded with its history
    assert pitfalls >= 1  # the unsafe advice is caught as a major Pitfall error
    unsafe_risk = risk.pop("baseline/unsafe-candidate")
    assert unsafe_risk < min(risk.values())  # and it is the one that fails risk interception


def test_rerun_reuses_every_model_call(main_job):
    calls = _live_calls(main_job.warehouse)
    again = main_job.run()
    assert again.returncode == 0, again.stderr[-3000:]
    assert _leaderboard(again.stdout) == _leaderboard(main_job.first.stdout)
    assert _live_calls(main_job.warehouse) == calls


def test_main_job_scores_the_healthbench_conversations_on_their_physician_criteria(main_job):
    with duckdb.connect(str(main_job.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT candidate_model, is_baseline, baseline_judges, n_responses, n_examples, "
            "score, bootstrap_std, coverage, judge_models FROM healthbench_scores"
        ).pl()
        conversations, criteria = con.execute(
            "SELECT count(DISTINCT query_id), count(*) FROM reference_rubrics "
            "WHERE source = 'healthbench'"
        ).fetchone()
        verdicts = con.execute("SELECT count(*) FROM healthbench_verdicts").fetchone()[0]
        calls = con.execute(
            "SELECT count(*) FROM llm_calls WHERE run_label = 'healthbench_scores'"
        ).fetchone()[0]
    assert set(rows["candidate_model"]) == {f"baseline/{name}" for name in EXPECTED_ORDER}
    assert rows["is_baseline"].all() and rows["baseline_judges"].all()
    assert set(rows["judge_models"]) == {"baseline/semantic-judge"}
    assert conversations == 3 and (rows["n_responses"] == conversations).all()
    assert verdicts == criteria * len(EXPECTED_ORDER)  # one row per criterion and response
    assert ((rows["score"] >= 0) & (rows["score"] <= 1)).all() and rows["n_examples"].min() > 0
    assert (rows["coverage"] == 1.0).all() and (rows["bootstrap_std"] >= 0).all()
    # batched: at most one call per (response, judge); identical answers share a call
    assert 0 < calls <= conversations * len(EXPECTED_ORDER)


def test_main_job_runs_are_named_jobs(main_job, monkeypatch):
    import dagster as dg

    monkeypatch.setenv("DAGSTER_HOME", str(main_job.dagster_home))
    with dg.DagsterInstance.get() as inst:
        names = {record.dagster_run.job_name for record in inst.get_run_records()}
    assert names == {"ingest_job", "benchmark_job"}  # no __ephemeral_asset_job__
