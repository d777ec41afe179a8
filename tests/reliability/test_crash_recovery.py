"""kill -9 during a materialization that makes model calls, then rerun: the tables equal an
uninterrupted run's, no row is duplicated, and no model call that finished before the kill
is made again (the rerun takes it from the call cache and logs it as a cache hit).

The killed process is the pipeline module run as its own process (the main job's code path,
persistent Dagster instance under its data home) against a slow local model server that
lives in the test process, so it outlives the kill and counts every request.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from quarkmed_dagster.llm.testing_server import LocalLLMServer
from quarkmed_dagster.secret_scan import scan_for_secret
from quarkmed_dagster.warehouse import Warehouse
from tests.reliability import pipeline
from tests.reliability.conftest import FAKE_KEY, FaultRun, pipeline_environment
from tests.reliability.world import answer, with_delay

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ONLY = ("candidate_responses", "judge_verdicts", "query_scores")
RESULT_TABLES = {  # table -> key columns
    "candidate_responses": ["response_id"],
    "judge_verdicts": ["response_id", "item_id", "judge_model", "mode"],
    "item_verdicts": ["response_id", "item_id"],
    "query_scores": ["response_id"],
    "leaderboard": ["candidate_model", "category"],
}
VOLATILE = ["created_at", "scored_at"]  # wall-clock columns


def _seed(fault_run: FaultRun, target: Path) -> Path:
    """The fault run's upstream tables (queries, evidence, rubrics) without its results."""
    target.mkdir(parents=True)
    shutil.copyfile(fault_run.warehouse.path, target / "warehouse.duckdb")
    store = Warehouse(target / "warehouse.duckdb")
    with store.writer() as con:
        for table in [*RESULT_TABLES, "judge_panel_stats", "llm_calls"]:
            con.execute(f'DELETE FROM "{table}"')
    return target / "warehouse.duckdb"


def _home(seed: Path, home: Path) -> Path:
    home.mkdir(parents=True)
    shutil.copyfile(seed, home / "warehouse.duckdb")
    return home


def _run_in_process(env: dict[str, str], home: Path) -> None:
    with pipeline_environment(env, home):
        outcome = pipeline.run(ONLY)
    assert outcome.success


def _cached_calls(home: Path) -> int:
    con = sqlite3.connect(home / "cache" / "llm_calls.sqlite")
    try:
        return int(con.execute("SELECT count(*) FROM calls").fetchone()[0])
    finally:
        con.close()


class KilledRun:
    """The stages in their own process, SIGKILLed by a watcher thread as soon as the model
    server has received ``after`` requests; the test meanwhile does other work."""

    def __init__(self, env: dict[str, str], home: Path, server: LocalLLMServer, after: int):
        self.log = home / "logs" / "killed_run.out"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.pipeline", *ONLY],
                cwd=PROJECT_ROOT,
                env={**os.environ, **env, "DAGSTER_HOME": str(home / "dagster")},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.server, self.after, self.received = server, after, -1
        self.watcher = threading.Thread(target=self._kill_when_due, daemon=True)
        self.watcher.start()

    def _kill_when_due(self) -> None:
        deadline = time.monotonic() + 300
        while len(self.server.requests) < self.after and self.process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.005)
        os.kill(self.process.pid, signal.SIGKILL)
        self.received = len(self.server.requests)

    def wait(self) -> int:
        """Requests the server had received when the process was killed."""
        self.watcher.join(timeout=320)
        returncode = self.process.wait(timeout=60)
        assert returncode == -signal.SIGKILL, self.log.read_text(errors="replace")[-3000:]
        assert self.received >= self.after, "killed before reaching its model calls"
        return self.received


def _table(store: Warehouse, table: str) -> pl.DataFrame:
    frame = store.read_table(table)
    return frame.drop([c for c in VOLATILE if c in frame.columns]).sort(RESULT_TABLES[table])


def test_kill_9_mid_materialization_then_rerun(fault_run: FaultRun, tmp_path: Path) -> None:
    seed = _seed(fault_run, tmp_path / "seed")
    n_queries = Warehouse(seed).count("queries")
    slow_answers = with_delay(answer, 0.15)
    with LocalLLMServer(answer) as fast, LocalLLMServer(slow_answers) as slow:

        def env(home: Path, server: LocalLLMServer) -> dict[str, str]:
            models = pipeline.write_models_config(
                home.parent / f"models-{home.name}.yaml", server.url, concurrency=2, timeout_s=30
            )
            return pipeline.environment(home, fault_run.sample, models, FAKE_KEY)

        crashed = _home(seed, tmp_path / "crashed")
        # killed in judge_panel: every candidate call made, two judge calls in flight
        killed = KilledRun(env(crashed, slow), crashed, slow, after=n_queries * 2 + 2)
        reference = _home(seed, tmp_path / "reference")  # uninterrupted, while it starts
        _run_in_process(env(reference, fast), reference)
        total_calls = len(fast.requests)  # each distinct call once: no faults, no retries

        received = killed.wait()
        finished = _cached_calls(crashed)
        assert 0 < finished < total_calls and received < total_calls  # killed mid-way

        slow.script(slow_answers)
        _run_in_process(env(crashed, slow), crashed)
        # every call that finished before the kill comes from the cache; each other call is
        # made exactly once
        assert len(slow.requests) == total_calls - finished
        assert _cached_calls(crashed) == total_calls

    store = Warehouse(crashed / "warehouse.duckdb")
    # the call log holds every real call once: the killed run's finished calls (recovered
    # from the cache's journal) and the rerun's, never a cache hit in place of a live call
    log = store.read("SELECT status, count(DISTINCT cache_key) AS calls, count(*) AS n_rows "
                     "FROM llm_calls GROUP BY status")  # fmt: skip
    assert log.rows() == [("ok", total_calls, total_calls)]
    expected = Warehouse(reference / "warehouse.duckdb")
    for table, key in RESULT_TABLES.items():
        resumed = _table(store, table)
        assert resumed.height > 0
        assert resumed.select(key).is_duplicated().sum() == 0, f"duplicate rows in {table}"
        assert_frame_equal(resumed, _table(expected, table))
    assert scan_for_secret([crashed], FAKE_KEY) == []  # incl. the killed process's output
