"""Build the HTML report from whatever result tables the warehouse holds."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

import polars as pl

from quarkmed_dagster.report.html import model_label, section, table_html
from quarkmed_dagster.report.rewards import reward_sections
from quarkmed_dagster.report.svg import bar_chart, histogram
from quarkmed_dagster.warehouse import Warehouse

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


def leaderboard_section(lb: pl.DataFrame) -> list[str]:
    if lb.is_empty():
        return [section("Leaderboard")]
    overall = lb.filter(pl.col("category") == "All").sort("score", descending=True, nulls_last=True)
    rows = [
        (model_label(r["candidate_model"], r["is_baseline"]), r["score"], r["ci_low"], r["ci_high"])
        for r in overall.iter_rows(named=True)
    ]
    versions = overall.select("rubric_set_version", "corpus_version").unique()
    out = [
        section(
            "Leaderboard (95% interval)",
            bar_chart(rows, "Overall score with 95% interval", xmax=1.0),
            table_html(overall),
            f"<p>Versions: {escape(', '.join(map(str, versions.rows())))}</p>",
        )
    ]
    cats = lb.filter(pl.col("category") != "All").sort("category", "candidate_model")
    if not cats.is_empty():
        rows = [
            (
                f"{r['category']} · {model_label(r['candidate_model'], r['is_baseline'])}",
                r["score"],
                r["ci_low"],
                r["ci_high"],
            )
            for r in cats.iter_rows(named=True)
        ]
        out.append(
            section(
                "Per-category breakdown", bar_chart(rows, "Score by category and model", xmax=1.0)
            )
        )
    return out


def dimension_section(qs: pl.DataFrame) -> list[str]:
    if qs.is_empty():
        return [section("Score distributions")]
    label = (
        pl.when(pl.col("is_baseline"))
        .then(pl.col("candidate_model") + " (baseline)")
        .otherwise(pl.col("candidate_model"))
    )
    qs = qs.with_columns(label.alias("model"))
    series = {
        m: part["score"].drop_nulls().to_list()
        for (m,), part in qs.group_by(["model"], maintain_order=True)
    }
    out = [section("Score distributions", histogram(series, "Per-query score by model"))]
    skip = {"score", "coverage", "ci_low", "ci_high"}
    dims = [c for c, t in qs.schema.items() if t.is_float() and c not in skip]
    if dims:
        rows = []
        for (m,), part in qs.group_by(["model"], maintain_order=True):
            for d in dims:
                rows.append((f"{m} · {d}", part[d].mean(), None, None))
        out.append(section("Per-dimension breakdown", bar_chart(rows, "Mean per dimension")))
    return out


def rubric_section(items: pl.DataFrame) -> list[str]:
    if items.is_empty():
        return [section("Rubric tier mix")]
    mix = items.group_by("tier").len().sort("tier")
    rows = [(r["tier"], float(r["len"]), None, None) for r in mix.iter_rows(named=True)]
    return [section("Rubric tier mix", bar_chart(rows, "Rubric items by tier", fmt="{:.0f}"))]


def _fmt(value: float | None) -> str:
    return "missing" if value is None else f"{value:.3f}"


def _kqa_summary(conc: pl.DataFrame) -> str:
    kqa = conc.filter((pl.col("audit_set") == "kqa_nli_binary") & (pl.col("group_by") == "all"))
    lines = [
        f"<li>{escape(model_label(r['judge_model'], r['is_baseline']))}: concordance "
        f"{_fmt(r['concordance'])}, Cohen's kappa {_fmt(r['kappa'])}, balanced F1 "
        f"{_fmt(r['balanced_f1'])} on {r['n']} statements ({r['n_missing']} missing)"
        f"{' — FLAGGED' if r['flagged'] else ''}</li>"
        for r in kqa.iter_rows(named=True)
    ]
    if not lines:
        return ""
    return (
        "<p>K-QA physician-labelled statement checks (fully met vs Entailment, physician "
        "majority as truth):</p><ul>" + "".join(lines) + "</ul>"
    )


def agreement_section(iv: pl.DataFrame, conc: pl.DataFrame) -> list[str]:
    parts = []
    if not iv.is_empty():
        parts.append(
            histogram(
                {"judge agreement": iv["agreement"].drop_nulls().to_list()},
                "Judge agreement per item verdict",
            )
        )
    if not conc.is_empty():
        overall = conc.filter(pl.col("group_by").is_in(["all", "tier"]))
        rows = [
            (
                f"{r['audit_set'].removeprefix('kqa_nli_')} · "
                f"{model_label(r['judge_model'], r['is_baseline'])} · "
                f"{r['group_value']}",
                r["concordance"],
                None,
                None,
            )
            for r in overall.iter_rows(named=True)
        ]
        parts.append(_kqa_summary(conc))
        parts.append(bar_chart(rows, "Concordance with physicians", xmax=1.0))
        flagged = overall.filter(pl.col("flagged"))
        if not flagged.is_empty():
            names = sorted(
                {model_label(m, b) for m, b in flagged.select("judge_model", "is_baseline").rows()}
            )
            parts.append(
                '<p class="flag">Below the configured concordance threshold: '
                f"{escape(', '.join(names))}</p>"
            )
        parts.append(table_html(overall.drop("created_at", strict=False)))
    return [section("Judge agreement and expert concordance", *parts)]


def cost_section(calls: pl.DataFrame) -> list[str]:
    if calls.is_empty():
        return [section("Cost and tokens")]
    by = (
        calls.group_by("role", "model", "is_baseline")
        .agg(
            pl.len().alias("calls"),
            (pl.col("status") == "failed").sum().alias("failed"),
            pl.col("tokens_in").sum(),
            pl.col("tokens_out").sum(),
            pl.col("cost_usd").sum(),
        )
        .sort("role", "model")
    )
    rows = [
        (
            f"{r['role']} · {model_label(r['model'], r['is_baseline'])}",
            float(r["tokens_in"] or 0) + float(r["tokens_out"] or 0),
            None,
            None,
        )
        for r in by.iter_rows(named=True)
    ]
    return [
        section(
            "Cost and tokens",
            bar_chart(rows, "Tokens by stage (role) and model", fmt="{:.0f}"),
            table_html(by),
        )
    ]


def _counts(frame: pl.DataFrame) -> tuple[int, int]:
    """(rows, non-NULL values) from a one-row ``count(*), count(column)`` frame."""
    return (frame.item(0, 0), frame.item(0, 1)) if frame.height else (0, 0)


def missing_values_section(
    calls: pl.DataFrame, answers: pl.DataFrame, verdicts: pl.DataFrame
) -> list[str]:
    """Failed model calls and the NULLs they left: counted, never replaced by defaults."""
    (n_answers, answered), (n_verdicts, judged) = _counts(answers), _counts(verdicts)
    if calls.is_empty() and not n_answers and not n_verdicts:
        return [section("Failed calls and missing values")]
    failed_calls = calls.filter(pl.col("status") == "failed").height if calls.height else 0
    return [
        section(
            "Failed calls and missing values",
            "<ul>"
            f"<li>model calls failed after their bounded retries: {failed_calls} of "
            f"{calls.height}</li>"
            f"<li>candidate answers missing (failed calls): {n_answers - answered} of "
            f"{n_answers}</li>"
            f"<li>panel verdicts missing (failed or unparseable judgments, excluded from "
            f"scores): {n_verdicts - judged} of {n_verdicts}</li>"
            "</ul>",
        )
    ]


def build_report(wh: Warehouse) -> str:
    tables = _tables(wh)
    lb = _read(wh, tables, "leaderboard", "SELECT * FROM leaderboard")
    qs = _read(wh, tables, "query_scores", "SELECT * FROM query_scores")
    items = _read(wh, tables, "rubric_items", "SELECT tier FROM rubric_items")
    iv = _read(wh, tables, "item_verdicts", "SELECT agreement FROM item_verdicts")
    verdict_counts = _read(
        wh, tables, "item_verdicts", "SELECT count(*), count(level) FROM item_verdicts"
    )
    answer_counts = _read(
        wh,
        tables,
        "candidate_responses",
        "SELECT count(*), count(response_text) FROM candidate_responses",
    )
    conc = _read(wh, tables, "concordance", "SELECT * FROM concordance")
    calls = _read(
        wh,
        tables,
        "llm_calls",
        "SELECT role, model, is_baseline, status, tokens_in, tokens_out, cost_usd FROM llm_calls",
    )
    body = [
        "<h1>QuarkMed evaluation report</h1>",
        f"<p>Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Offline baseline models are "
        "labelled <span class='baseline'>(baseline)</span>.</p>",
        *leaderboard_section(lb),
        *dimension_section(qs),
        *rubric_section(items),
        *agreement_section(iv, conc),
        *reward_sections(wh, tables),
        *missing_values_section(calls, answer_counts, verdict_counts),
        *cost_section(calls),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>QuarkMed report</title>"
        f"<style>{CSS}</style></head><body>{''.join(body)}<script>{MARKER_JS}</script></body></html>"
    )


def write_report(wh: Warehouse, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_report(wh), encoding="utf-8")
    return path
