"""Build the HTML report from whatever result tables the warehouse holds."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape, unescape
from pathlib import Path

import polars as pl

from quarkmed_dagster.labels import active_labels, label_notes
from quarkmed_dagster.report.operations import (
    agreement_section,
    cost_section,
    missing_values_section,
    model_calls_section,
    skipped_section,
)
from quarkmed_dagster.report.rewards import reward_sections
from quarkmed_dagster.report.samples import sample_links_section
from quarkmed_dagster.report.scales import ModelColours
from quarkmed_dagster.report.scores import (
    dimension_section,
    distribution_section,
    healthbench_section,
    leaderboard_section,
    rubric_section,
)
from quarkmed_dagster.report.validity import coverage_section, validity_section
from quarkmed_dagster.viewer.build import VIEWER_DIR, write_viewer
from quarkmed_dagster.warehouse import Warehouse, load_sql

CSS = (
    "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
    "h2{border-bottom:1px solid #ccc;margin-top:2em}table{border-collapse:collapse;font-size:12px}"
    "td,th{border:1px solid #ddd;padding:3px 6px}.flag{color:#b00;font-weight:bold}"
    ".baseline{color:#666;font-style:italic}.empty{color:#888}"
)
# Sets markers once the page has loaded so a headless browser can check the plots exist:
# how many plots and how many line-chart lines have a non-empty rendered box.
MARKER_JS = (
    "document.addEventListener('DOMContentLoaded',function(){function n(q){var c=0;"
    "document.querySelectorAll(q).forEach(function(e){if(e.getBBox().width>0){c++;}});"
    "return String(c);}document.body.setAttribute('data-plots-drawn',n('svg.plot'));"
    "document.body.setAttribute('data-lines-drawn',n('svg.plot polyline.line'));});"
)


def _tables(wh: Warehouse) -> set[str]:
    return set(wh.read("SELECT table_name FROM information_schema.tables")["table_name"].to_list())


def _read(wh: Warehouse, tables: set[str], table: str, sql: str) -> pl.DataFrame:
    return wh.read(sql) if table in tables else pl.DataFrame()


def model_colours(wh: Warehouse, tables: set[str]) -> ModelColours:
    """One colour per model for the whole report: candidate models first (the most distinct
    colours), then every other model that made a call (judges, rubric writers)."""
    found = _read(wh, tables, "candidate_responses", load_sql("select_report_models"))
    if found.is_empty():
        return ModelColours()
    return ModelColours(
        *(part["model"].to_list() for _, part in found.group_by("kind", maintain_order=True))
    )


def build_report(wh: Warehouse, labels: dict[str, str] | None = None) -> str:
    """``labels``: model -> label of figures that are not a measurement (default: the
    active profile's, e.g. ``tiny``), stated at the top of the report."""
    labels = active_labels() if labels is None else labels
    tables = _tables(wh)
    lb_table = "leaderboard_versioned" if "leaderboard_versioned" in tables else "leaderboard"
    lb = _read(wh, tables, lb_table, f"SELECT * FROM {lb_table}")
    # the marts' view keeps only scores made on the current rubric
    qs_table = "query_scores_versioned" if "query_scores_versioned" in tables else "query_scores"
    qs = _read(wh, tables, qs_table, f"SELECT * FROM {qs_table}")
    dims = _read(wh, tables, "leaderboard_dimensions", "SELECT * FROM leaderboard_dimensions")
    hb = _read(wh, tables, "healthbench_scores", "SELECT * FROM healthbench_scores")
    items = _read(wh, tables, "current_rubric_items", "SELECT tier FROM current_rubric_items")
    stats = _read(wh, tables, "rubric_statistics", load_sql("select_report_rubric_statistics"))
    coverage = _read(wh, tables, "rubric_coverage", load_sql("select_report_rubric_coverage"))
    iv = _read(wh, tables, "item_verdicts", "SELECT agreement, level FROM item_verdicts")
    verdicts = _read(
        wh,
        tables,
        "judge_verdicts",
        "SELECT status, count(*) AS n FROM judge_verdicts GROUP BY status ORDER BY status",
    )
    panel = _read(wh, tables, "judge_panel_stats", load_sql("select_report_panel_stats"))
    agreement = _read(wh, tables, "judge_agreement", "SELECT * FROM judge_agreement")
    responses = _read(
        wh, tables, "candidate_responses", "SELECT response_text, status FROM candidate_responses"
    )
    skips = _read(wh, tables, "skipped_steps", load_sql("select_skipped_steps"))
    conc = _read(wh, tables, "concordance", "SELECT * FROM concordance")
    validity = _read(wh, tables, "validity_metrics", "SELECT * FROM validity_metrics")
    calls = _read(wh, tables, "cost_by_model_stage", load_sql("select_report_calls"))
    colours = model_colours(wh, tables)
    model_calls = _read(wh, tables, "model_call_stats", load_sql("select_report_model_calls"))
    body = [
        "<h1>QuarkMed evaluation report</h1>",
        f"<p>Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Offline baseline models are "
        "labelled <span class='baseline'>(baseline)</span>.</p>",
        *(f"<p class='flag'>{escape(note)}</p>" for note in label_notes(labels)),
        *skipped_section(skips),
        *leaderboard_section(lb, colours),
        *distribution_section(qs, colours),
        *sample_links_section(qs),
        *dimension_section(dims, colours),
        *healthbench_section(hb),
        *rubric_section(items, stats),
        *validity_section(validity),
        *coverage_section(coverage),
        *agreement_section(iv, conc, panel, agreement, colours),
        *reward_sections(wh, tables, colours),
        *missing_values_section(calls, responses, iv, verdicts),
        *model_calls_section(model_calls),
        *cost_section(calls, colours),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>QuarkMed report</title>"
        f"<style>{CSS}</style></head><body>{''.join(body)}<script>{MARKER_JS}</script></body></html>"
    )


def report_outline(html: str) -> pl.DataFrame:
    """One row per report section: its title, plots and tables."""
    rows = []
    for part in html.split("<h2>")[1:]:
        title, body = part.split("</h2>", 1)
        rows.append(
            {
                "section": unescape(title),
                "plots": body.count('<svg class="plot"'),
                "tables": body.count("<table>"),
                "empty": 'class="empty"' in body and "<svg" not in body,
            }
        )
    return pl.DataFrame(
        rows,
        schema={"section": pl.Utf8, "plots": pl.Int64, "tables": pl.Int64, "empty": pl.Boolean},
    )


def write_report(wh: Warehouse, path: Path) -> Path:
    """The report at ``path`` and, beside it, the per-sample viewer its links open."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_report(wh), encoding="utf-8")
    if "current_rubric_items" in _tables(wh):
        write_viewer(wh, path.parent / VIEWER_DIR, report=f"../{path.name}")
    return path
