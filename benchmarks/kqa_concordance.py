"""K-QA judge concordance with the offline baseline judge: prints the figures and the time.

Run: .venv/bin/python benchmarks/kqa_concordance.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import polars as pl

from quarkmed_dagster.audit.runner import run_kqa_concordance
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.config import load_profile
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.settings import PROJECT_ROOT
from quarkmed_dagster.warehouse import Warehouse


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp) / "w.duckdb")
        wh.ensure_schema()
        profile = load_profile(PROJECT_ROOT / "models.yaml", "baseline")
        gateway = LiteLLMGateway(profile, "bench", CallCache(Path(tmp) / "c.sqlite"), wh)
        start = time.perf_counter()
        out = run_kqa_concordance(
            wh, gateway, PROJECT_ROOT / "data" / "sample", ["baseline/semantic-judge"], 0.7
        )
        elapsed = time.perf_counter() - start
    cols = [
        "audit_set", "judge_model", "group_value", "n", "n_missing", "concordance", "kappa",
        "balanced_f1",
    ]  # fmt: skip
    with pl.Config(tbl_rows=40, tbl_cols=10, fmt_str_lengths=30):
        print(out.select(cols))
    print(f"399 judge calls + metrics: {elapsed:.1f} s ({399 / elapsed:.1f} rows/s)")


if __name__ == "__main__":
    main()
