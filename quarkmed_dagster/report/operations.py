"""The report's trust and operations sections: judge agreement and expert concordance,
failed calls and the missing values they left, cost and tokens by stage and model."""

from __future__ import annotations

from html import escape

import polars as pl

from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.report.html import model_label, section, table_html, with_model_labels
from quarkmed_dagster.report.scales import ModelColours
from quarkmed_dagster.report.svg import bar_chart, ecdf_chart


def _fmt(value: float | None) -> str:
    return "missing" if value is None else f"{value:.3f}"


def _kqa_summary(conc: pl.DataFrame) -> str:
    overall = conc.filter(pl.col("group_by") == "all")
    kqa = overall.filter(pl.col("audit_set") == "kqa_nli_binary")
    limited = ""
    if kqa.is_empty():  # only a limited run was stored: shown as such, never as the full one
        kqa = overall.filter(pl.col("audit_set").str.starts_with("kqa_nli_binary@first"))
        limited = " (a limited run on the first statements only, not the full 399)"
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
        f"majority as truth){limited}:</p><ul>" + "".join(lines) + "</ul>"
    )


def _panel_parts(iv: pl.DataFrame, panel: pl.DataFrame, agreement: pl.DataFrame) -> list[str]:
    parts = []
    if not iv.is_empty():
        parts.append(
            ecdf_chart(
                {"judge agreement": iv["agreement"].drop_nulls().to_list()},
                "Judge agreement per item verdict (cumulative share)",
                x_label="agreement",
                lo=0.0,
                hi=1.0,
            )
        )
    if not panel.is_empty():
        panel = panel.with_columns(
            pl.col("judges").map_elements(
                lambda js: ", ".join(model_label(j, is_baseline(j)) for j in js.split(", ")),
                pl.Utf8,
            )
        )
        parts.append(
            "<p>Inter-judge reliability of the latest panel run (Fleiss' kappa, Krippendorff's "
            "alpha; undefined, so missing, with fewer than two judges):</p>" + table_html(panel)
        )
    if not agreement.is_empty():
        parts.append(
            "<p>Each judge against the panel consensus, per tier:</p>"
            + table_html(
                agreement.select(
                    "judge_model",
                    "tier",
                    "n_verdicts",
                    "n_missing",
                    "agreement_with_consensus",
                    "expert_concordance",
                    "expert_audit_set",
                    "flagged",
                ).sort("judge_model", "tier")
            )
        )
    return parts


def agreement_section(
    iv: pl.DataFrame,
    conc: pl.DataFrame,
    panel: pl.DataFrame,
    agreement: pl.DataFrame,
    colours: ModelColours,
) -> list[str]:
    parts = _panel_parts(iv, panel, with_model_labels(agreement))
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
        judge_colours = [colours.of(m) for m in overall["judge_model"].to_list()]
        parts.append(
            bar_chart(rows, "Concordance with expert labels", xmax=1.0, colours=judge_colours)
        )
        flagged = overall.filter(pl.col("flagged"))
        if not flagged.is_empty():
            names = sorted(
                {model_label(m, b) for m, b in flagged.select("judge_model", "is_baseline").rows()}
            )
            parts.append(
                '<p class="flag">Below the configured concordance threshold: '
                f"{escape(', '.join(names))}</p>"
            )
        parts.append(table_html(with_model_labels(overall.drop("created_at", strict=False))))
    return [section("Judge agreement and expert concordance", *parts)]


def missing_values_section(
    calls: pl.DataFrame, responses: pl.DataFrame, iv: pl.DataFrame, verdicts: pl.DataFrame
) -> list[str]:
    """Failed model calls and the NULLs they left: counted, never replaced by defaults."""
    if calls.is_empty() and responses.is_empty() and iv.is_empty():
        return [section("Failed calls and missing values")]
    n_calls = int(calls["calls"].sum()) if calls.height else 0
    failed_calls = int(calls["failed"].sum()) if calls.height else 0
    no_answer = responses["response_text"].null_count() if responses.height else 0
    no_verdict = iv["level"].null_count() if iv.height else 0
    by_status = "".join(
        f"<li>judge verdicts with status {escape(str(r['status']))}: {r['n']}</li>"
        for r in verdicts.iter_rows(named=True)
    )
    return [
        section(
            "Failed calls and missing values",
            "<ul>"
            f"<li>model calls failed after their bounded retries: {failed_calls} of "
            f"{n_calls}</li>"
            f"<li>candidate answers missing: {no_answer} of {responses.height}"
            f"{_missing_by_status(responses)}</li>"
            f"<li>panel verdicts missing (failed or unparseable judgments, excluded from "
            f"scores): {no_verdict} of {iv.height}</li>"
            f"{by_status}"
            "</ul>",
        )
    ]


def _missing_by_status(responses: pl.DataFrame) -> str:
    """ " (failed: n, unparseable: n, ...)" over the responses with no text."""
    if "status" not in responses.columns:
        return ""
    missing = responses.filter(pl.col("response_text").is_null()).group_by("status").len()
    parts = [f"{escape(str(st))}: {n}" for st, n in missing.sort("status").iter_rows()]
    return f" ({', '.join(parts)})" if parts else ""


def skipped_section(skips: pl.DataFrame) -> list[str]:
    """Steps skipped for an absent optional input, each with its reason."""
    if skips.is_empty():
        return []
    rows = "".join(
        f"<li>{escape(str(r['asset_key']))}: {escape(str(r['reason']))}</li>"
        for r in skips.iter_rows(named=True)
    )
    return [section("Skipped steps", f"<ul>{rows}</ul>")]


def model_calls_section(stats: pl.DataFrame) -> list[str]:
    """Per role and model: calls, re-asks, unparseable, refusals, timeouts, prompts that
    could not fit the context window, NULL results, trimmed evidence and tokens, so a weak
    model shows up as weak rather than as missing data."""
    if stats.is_empty():
        return [section("Model calls by role")]
    note = (
        "<p>calls: live calls (cache hits in <i>cached</i>); unparseable: output that failed "
        "its schema after the one re-ask (a NULL value); context_overflow: prompts that could "
        "not fit the served context window even without evidence (never sent, NULL); "
        "passages_trimmed: evidence passages dropped, least relevant first, to fit it.</p>"
    )
    return [section("Model calls by role", note, table_html(with_model_labels(stats)
                                                             .drop("is_baseline")))]  # fmt: skip


def cost_section(calls: pl.DataFrame, colours: ModelColours) -> list[str]:
    """Calls, failures, tokens and cost per pipeline stage (run label), role and model."""
    if calls.is_empty():
        return [section("Cost and tokens")]
    calls = with_model_labels(calls)
    tokens = [
        (
            f"{r['model']} · {r['stage']}",  # a long label loses the stage's end, not the model's
            float(r["tokens_in"] or 0) + float(r["tokens_out"] or 0),
            None,
            None,
        )
        for r in calls.iter_rows(named=True)
    ]
    by_model = [colours.of(m) for m in calls["model"].to_list()]
    parts = [
        bar_chart(tokens, "Tokens (in + out) by model and stage", fmt="{:.0f}", colours=by_model)
    ]
    if (calls["cost_usd"].fill_null(0) > 0).any():
        cost = [
            (f"{r['model']} · {r['stage']}", r["cost_usd"], None, None)
            for r in calls.iter_rows(named=True)
        ]
        parts.append(
            bar_chart(cost, "Cost (USD) by model and stage", fmt="{:.4f}", colours=by_model)
        )
    else:
        parts.append("<p>All calls cost $0 (offline baseline models or unpriced models).</p>")
    return [section("Cost and tokens", *parts, table_html(calls.drop("is_baseline")))]
