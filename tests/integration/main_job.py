"""The main job run once per test session (`quarkmed run` in a subprocess, as the README runs
it) on a small slice of the bundled sample with the offline baseline models; the tests of
the main job, the marts and the asset metadata all read its warehouse and Dagster instance.

Registered for every test folder by ``pytest_plugins`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE = PROJECT / "data" / "sample"
# One K-QA line cut off mid-record, as a truncated upload would be: the run must quarantine
# it with a reason and carry on (it also gives the quarantine mart a real row).
BROKEN_LINE = '{"Question": "Is it safe to take ibuprofen with'


def slice_sample(target: Path) -> None:
    """3 K-QA questions (plus one broken line) and 3 HealthBench conversations (2 multi-turn),
    the corpus and the K-QA audit file."""
    (target / "queries").mkdir(parents=True)
    kqa = (SAMPLE / "queries" / "kqa_sample.jsonl").read_text("utf-8").split("\n")
    (target / "queries" / "kqa_sample.jsonl").write_text(
        "\n".join([*kqa[:3], BROKEN_LINE]) + "\n", "utf-8"
    )
    rows = [
        line
        for line in (SAMPLE / "queries" / "healthbench_sample.jsonl").read_text("utf-8").split("\n")
        if line.strip()
    ]
    multi = [r for r in rows if len(json.loads(r)["prompt"]) > 1][:2]
    single = [r for r in rows if len(json.loads(r)["prompt"]) == 1][:1]
    (target / "queries" / "healthbench_sample.jsonl").write_text(
        "\n".join(multi + single) + "\n", "utf-8"
    )
    shutil.copytree(SAMPLE / "corpus", target / "corpus")
    shutil.copytree(SAMPLE / "audit", target / "audit")


@dataclass(frozen=True)
class MainJob:
    home: Path  # QUARKMED_DATA_HOME: warehouse.duckdb, reports/, dagster/ (DAGSTER_HOME)
    env: dict[str, str]
    first: subprocess.CompletedProcess[str]

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    def run(self) -> subprocess.CompletedProcess[str]:
        return run_quarkmed(self.env)


def run_quarkmed(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quarkmed_dagster.cli", *(args or ("run",))],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )


@pytest.fixture(scope="session")
def main_job(tmp_path_factory: pytest.TempPathFactory) -> MainJob:
    root = tmp_path_factory.mktemp("main_job")
    slice_sample(root / "sample")
    env = {
        **os.environ,
        "QUARKMED_DATA_HOME": str(root / "home"),
        "QUARKMED_SAMPLE_DATA_DIR": str(root / "sample"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    env.pop("QUARKMED_ES_URL", None)  # embedded defaults, as on a fresh machine
    first = run_quarkmed(env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return MainJob(root / "home", env, first)
