"""One small pipeline run under seeded model-server faults, shared by the reliability tests
(fault counts, secrets scan, and the upstream tables the crash test starts from)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from quarkmed_dagster.llm.testing_server import LocalLLMServer
from quarkmed_dagster.orchestration import PipelineOutcome
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse
from tests.reliability import pipeline
from tests.reliability.world import Faults

FAKE_KEY = "sk-fake-RELIABILITY-7f3a9c2e51d04b68"
MAX_ATTEMPTS = 3
PROJECT_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@dataclass
class FaultRun:
    root: Path
    home: Path
    sample: Path
    outcome: PipelineOutcome
    faults: Faults
    server_requests: int
    server_authorizations: set[str]
    log_file: Path

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.home / "warehouse.duckdb")


@contextlib.contextmanager
def pipeline_environment(env: dict[str, str], home: Path) -> Iterator[pytest.MonkeyPatch]:
    """The run's environment (restored afterwards, DAGSTER_HOME included)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))  # restored on exit
        get_settings.cache_clear()
        try:
            yield patch
        finally:
            get_settings.cache_clear()


@contextlib.contextmanager
def captured_logs(path: Path) -> Iterator[None]:
    """Everything the run logs (INFO and up, every logger) and prints, into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(min(previous, logging.INFO))
    try:
        with (
            path.with_suffix(".out").open("w") as out,
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
        ):
            yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        handler.close()


@pytest.fixture(scope="session")
def fault_run(tmp_path_factory: pytest.TempPathFactory) -> FaultRun:
    """ingest -> evidence -> rubrics -> candidates -> judging -> scores -> marts/report, with
    every model call served through seeded 429 storms, 500s, timeouts, bad JSON, slowness."""
    root = tmp_path_factory.mktemp("fault_run")
    home = root / "home"
    sample = pipeline.write_sample_data(root / "sample", PROJECT_SAMPLE)
    faults = Faults(seed=0)
    with LocalLLMServer(faults) as server:
        models = pipeline.write_models_config(
            root / "models.yaml", server.url, max_attempts=MAX_ATTEMPTS, timeout_s=1.0
        )
        env = pipeline.environment(home, sample, models, FAKE_KEY)
        log_file = home / "logs" / "run.log"
        with pipeline_environment(env, home), captured_logs(log_file):
            outcome = pipeline.run()
        requests = len(server.requests)
        authorizations = set(server.authorizations)
    return FaultRun(root, home, sample, outcome, faults, requests, authorizations, log_file)
