"""The main job's console, its pure parts: progress through a run from its events (steps
done / total, the stage running, a line per finished step with its rows), the quarantine
note and the closing next steps."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from quarkmed_dagster.cli_run import next_steps, quarantine_note
from quarkmed_dagster.run_progress import RunProgress


def test_progress_follows_steps_and_rows():
    ticks = iter(range(100))
    p = RunProgress("benchmark_job", ["a", "b", "c"], clock=lambda: float(next(ticks)))
    assert p.on_event(None, "RUN_START", {}) is None
    p.on_event("a", "STEP_START", {})
    p.on_event("b", "STEP_START", {})
    assert p.describe() == "benchmark_job · step 0/3 · a, b"
    p.on_event("a", "ASSET_MATERIALIZATION", {"dagster/row_count": 40})
    line = p.on_event("a", "STEP_SUCCESS", {})
    assert line is not None and line.startswith("  [1/3] a: done, 40 rows, ")
    assert p.describe() == "benchmark_job · step 1/3 · b"
    assert "FAILED" in (p.on_event("b", "STEP_FAILURE", {}) or "")
    assert p.on_event("c", "STEP_SKIPPED", {}) == "  [3/3] c: skipped"
    summary = p.on_event(None, "RUN_FAILURE", {})
    assert summary is not None
    assert summary.startswith("benchmark_job: FAILED, 3/3 steps, 40 rows written")
    assert summary.endswith("FAILED: b")


def test_quarantine_note_counts_rows_and_names_reasons():
    none = pl.DataFrame(schema={"stage": pl.Utf8, "reason": pl.Utf8, "n_rows": pl.Int64})
    assert "no row was set aside" in quarantine_note(none)
    reasons = pl.DataFrame({
        "stage": ["imported_responses", "queries"] + ["queries"] * 5,
        "reason": ["unknown query_id", "empty text", *[f"r{i}" for i in range(5)]],
        "n_rows": [3, 2, 1, 1, 1, 1, 1],
    })  # fmt: skip
    note = quarantine_note(reasons)
    assert note.startswith("Quarantine: 10 imported row(s) set aside")
    assert "3 x imported_responses: unknown query_id" in note and "2 x queries: empty text" in note
    assert "and 2 other reason(s)" in note and "SELECT * FROM quarantine" in note


def test_next_steps_say_eval_ui_and_report(tmp_path: Path):
    text = "\n".join(next_steps(tmp_path / "report.html", tmp_path / "samples" / "index.html"))
    assert "quarkmed eval --model" in text and "scripts/ui.sh" in text
    assert (tmp_path / "report.html").resolve().as_uri() in text
    assert "samples/index.html" in text
    assert "open the report" not in "\n".join(next_steps(None, None))
