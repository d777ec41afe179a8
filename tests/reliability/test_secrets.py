"""After a pipeline run with a (fake) API key in the environment, including model calls that
failed with errors, nothing the run leaves behind holds a trace of the key: the warehouse
and its analyst snapshot, the call cache, the embedding cache, the report, Dagster's run and
event storage and compute logs, and everything the run logged or printed."""

from __future__ import annotations

from quarkmed_dagster.secret_scan import scan_for_secret
from tests.reliability.conftest import FAKE_KEY, FaultRun


def test_no_trace_of_the_api_key_anywhere(fault_run: FaultRun) -> None:
    home = fault_run.home
    expected = [
        home / "warehouse.duckdb",
        home / "warehouse_snapshot.duckdb",
        home / "cache",
        home / "dagster" / "history",
        home / "reports" / "report.html",
        fault_run.log_file,
    ]
    for path in expected:
        assert path.exists(), f"{path} missing: the scan would prove nothing"
    assert fault_run.log_file.stat().st_size > 0
    assert fault_run.warehouse.count("llm_calls") > 0
    # the key's distinctive tail: finds the whole key and a copy with a masked prefix
    assert scan_for_secret([fault_run.root], FAKE_KEY[-16:]) == []
