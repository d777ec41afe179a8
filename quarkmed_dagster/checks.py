"""Turn great-expectations outcomes into Dagster asset check results."""

from __future__ import annotations

import dagster as dg
import polars as pl

from quarkmed_dagster.quality import validate_frame


def suite_check_result(suite_name: str, frame: pl.DataFrame) -> dg.AssetCheckResult:
    """Passes unless an "error" expectation failed; failed "warn" ones lower the severity."""
    outcome = validate_frame(suite_name, frame)
    failed = outcome.failed_errors or outcome.failed_warnings
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR
        if outcome.failed_errors
        else dg.AssetCheckSeverity.WARN,
        metadata={
            "suite": suite_name,
            "rows": outcome.rows,
            "expectations": len(outcome.outcomes),
            "failed_errors": ", ".join(
                f"{o.expectation}({o.column}): {o.unexpected_count}" for o in outcome.failed_errors
            )
            or "none",
            "failed_warnings": ", ".join(
                f"{o.expectation}({o.column}): {o.unexpected_count}"
                for o in outcome.failed_warnings
            )
            or "none",
        },
    )
