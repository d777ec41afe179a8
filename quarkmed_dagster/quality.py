"""Great-expectations adapter: validate a frame against a JSON suite in ``expectations/``.

Suites are reviewed like code. Each expectation may carry ``meta.severity`` ("error" by
default, or "warn"); blocking Dagster checks fail only on failed "error" expectations.
GX 1.x is called directly (dagster-ge supports only GX < 1) and is handed pandas.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import polars as pl

from quarkmed_dagster.settings import EXPECTATIONS_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None
    observed: Any = None


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    rows: int
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def failed_errors(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "error"]

    @property
    def failed_warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warn"]

    @property
    def passed(self) -> bool:
        return not self.failed_errors

    def summary(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "rows": self.rows,
            "evaluated": len(self.outcomes),
            "failed_errors": [f"{o.expectation}({o.column})" for o in self.failed_errors],
            "failed_warnings": [f"{o.expectation}({o.column})" for o in self.failed_warnings],
        }


def load_suite_definition(name: str) -> dict[str, Any]:
    return json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Validation runs inside Dagster steps: per-metric progress bars only flood the run log.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate_frame(suite_name: str, frame: pl.DataFrame) -> SuiteOutcome:
    """Run the suite ``expectations/<suite_name>.json`` on ``frame``."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    definition = load_suite_definition(suite_name)
    suite = gx.ExpectationSuite(name=definition["name"])
    for item in definition["expectations"]:
        suite.add_expectation_configuration(
            ExpectationConfiguration(
                type=item["type"], kwargs=item["kwargs"], meta=item.get("meta") or {}
            )
        )
    context = _context()
    source_name = f"frames_{suite_name}"
    try:
        source = context.data_sources.get(source_name)
        batch_definition = source.get_asset(suite_name).get_batch_definition("all")
    except Exception:
        source = context.data_sources.add_pandas(source_name)
        batch_definition = source.add_dataframe_asset(
            name=suite_name
        ).add_batch_definition_whole_dataframe("all")
    pandas_frame = frame.to_pandas(use_pyarrow_extension_array=False)
    result = batch_definition.get_batch(batch_parameters={"dataframe": pandas_frame}).validate(
        suite, result_format="SUMMARY"
    )
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=config.kwargs.get("column"),
                severity=(config.meta or {}).get("severity", "error"),
                success=bool(item.success),
                unexpected_count=item.result.get("unexpected_count"),
                observed=item.result.get("observed_value"),
            )
        )
    return SuiteOutcome(suite=suite_name, rows=frame.height, outcomes=outcomes)
