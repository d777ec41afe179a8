"""The report's alignment-reward sections: Tri-Factor weights per dimension (the
simulated sequence and declared policy checkpoints as trajectories, candidate models
compared side by side), reward distribution per model and the reward diagnosis (worst
categories, tags and rubric items per model, with example responses). Models are labelled
baseline where they are; the simulated checkpoint sequence is labelled simulated. One stats
version is shown: the most recently frozen one.
"""

from __future__ import annotations

import json
from html import escape

import polars as pl

from quarkmed_dagster.report.html import baseline_labels, section, table_html
from quarkmed_dagster.report.scales import ModelColours
from quarkmed_dagster.report.svg import bar_chart
from quarkmed_dagster.rewards.plots import (
    checkpoint_plots,
    first_last,
    model_plots,
    reward_distribution,
    simulation_plots,
)
from quarkmed_dagster.rewards.simulation import SimulationSpec
from quarkmed_dagster.warehouse import Warehouse, load_sql

TABLES = {"reward_weight_trajectory", "reward_scores", "reward_diagnosis", "candidate_responses"}
WORST_ITEMS = 3
EXCERPT_CHARS = 140


def _label(labels: dict[str, str], model: str) -> str:
    return labels.get(model, model)


def _reference_note(wh: Warehouse, version: str, labels: dict[str, str]) -> str:
    ref = wh.read(load_sql("select_report_reward_reference"), [version])
    text = f"Rewards on the frozen normalization statistics <b>{escape(version)}</b>"
    if ref.height:
        models = ", ".join(_label(labels, m) for m in str(ref["reference"][0]).split(","))
        text += f" (reference rollouts: {escape(models)}; hash {escape(ref['content_hash'][0])})"
    return f"<p>{text}.</p>"


def trajectory_section(frame: pl.DataFrame, labels: dict[str, str], note: str) -> list[str]:
    simulated = frame.filter(pl.col("source") == "simulated")
    models = frame.filter(pl.col("source") == "models")
    checkpoints = frame.filter(pl.col("source") == "checkpoints")
    parts = [note]
    if simulated.height:
        spec = SimulationSpec()
        roles = {spec.weakening: "weakens", spec.redundant: "turns redundant"}
        said = "; ".join(
            f"{escape(dim)} ({roles[dim]}): weight {a:.3f} → {b:.3f}"
            for dim, (a, b) in first_last(simulated, list(roles)).items()
        )
        parts.append(
            f"<p><b>Simulated</b> checkpoints (synthetic, seeded; not a model): {said}. "
            "Weights move toward the weakening dimension and away from the redundant one.</p>"
        )
        parts += simulation_plots(simulated, spec).values()
    if checkpoints.height:
        for (policy,), part in checkpoints.group_by(["policy"], maintain_order=True):
            order = " → ".join(
                escape(_label(labels, m))
                for m in part.sort("step")["step_label"].unique(maintain_order=True)
            )
            parts.append(
                f"<p><b>Checkpoints of {escape(str(policy))}</b>, in the declared order "
                f"(alignment matrix file, <code>checkpoints</code>): {order}.</p>"
            )
        parts += checkpoint_plots(checkpoints, step_label=lambda m: _label(labels, m)).values()
    if models.height:
        parts.append(
            "<p><b>Candidate models compared</b> (one Tri-Factor step on each model's own "
            "responses). The models are not a sequence, so each is a column of points, not a "
            "line; declare a policy's checkpoints in the alignment matrix file "
            "(<code>checkpoints</code>) to see its weights over training.</p>"
        )
        parts += model_plots(models, step_label=lambda m: _label(labels, m)).values()
    title = "Alignment rewards: weight trajectories (Tri-Factor weighting)"
    return [section(title, *parts)] if len(parts) > 1 else [section(title)]


def distribution_section(
    scores: pl.DataFrame, labels: dict[str, str], colours: ModelColours
) -> list[str]:
    title = "Alignment rewards: distribution"
    if scores.is_empty():
        return [section(title)]
    scores = scores.with_columns(
        pl.col("candidate_model").replace_strict(labels, default=pl.col("candidate_model"))
    )
    summary = (
        scores.group_by("candidate_model")
        .agg(
            pl.len().alias("responses"),
            pl.col("reward").mean().alias("mean_reward"),
            pl.col("reward").median().alias("median_reward"),
            pl.col("gated").sum().alias("gated_by_safety"),
            pl.col("reward").null_count().alias("missing"),
        )
        .sort("mean_reward", descending=True, nulls_last=True)
        .rename({"candidate_model": "model"})
    )
    chart = reward_distribution(scores, colours=colours)
    return [section(title, chart, table_html(summary))]


def _examples(raw: str, texts: dict[str, str]) -> str:
    shown = []
    for rid in json.loads(raw or "[]"):
        text = " ".join((texts.get(rid) or "(text not found)").split())
        cut = text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
        shown.append(f"{rid}: “{cut}”")
    return " | ".join(shown)


def diagnosis_section(
    wh: Warehouse, diag: pl.DataFrame, labels: dict[str, str], colours: ModelColours
) -> list[str]:
    title = "Alignment rewards: diagnosis (what fails most per model)"
    if diag.is_empty():
        return [section(title)]
    parts = [
        "<p>Failure rate: for a category, the share of responses below the frozen reference "
        "median on its dimensions; for a rubric tag or item, 1 − level (Pitfall: the "
        "severity) over judged verdicts (failed judgments are left out).</p>"
    ]
    for (model,), part in diag.group_by(["candidate_model"], maintain_order=True):
        rows = [
            (f"{r['level']}: {r['key']}", r["failure_rate"], None, None)
            for r in part.filter(pl.col("level").is_in(["category", "tag"])).iter_rows(named=True)
        ]
        name = _label(labels, model)
        title_m = f"Failure rate by category and tag: {name}"
        parts.append(bar_chart(rows, title_m, xmax=1.0, colours=[colours.of(model)] * len(rows)))
    worst = diag.filter(
        (pl.col("level") == "item") & (pl.col("rank") <= WORST_ITEMS) & (pl.col("failure_rate") > 0)
    )
    ids = sorted({rid for raw in worst["examples"].to_list() for rid in json.loads(raw or "[]")})
    texts = dict(wh.read(load_sql("select_response_texts"), [ids]).rows()) if ids else {}
    table = worst.select(
        pl.col("candidate_model")
        .replace_strict(labels, default=pl.col("candidate_model"))
        .alias("model"),
        "rank",
        pl.col("key").alias("item"),
        pl.col("detail").alias("title"),
        "n",
        "failure_rate",
        pl.col("examples").map_elements(lambda raw: _examples(raw, texts), return_dtype=pl.Utf8),
    )
    parts.append(
        f"<h3>The (up to) {WORST_ITEMS} rubric items each model fails most, with examples</h3>"
    )
    parts.append(table_html(table, max_rows=60, max_chars=4 * EXCERPT_CHARS))
    return [section(title, *parts)]


def reward_sections(wh: Warehouse, tables: set[str], colours: ModelColours) -> list[str]:
    if not tables >= TABLES:
        return [section("Alignment rewards")]
    found = wh.read(load_sql("select_report_reward_version"))
    if found.is_empty():
        return [section("Alignment rewards")]
    version = found["stats_version"][0]
    labels = baseline_labels(wh)
    trajectory = wh.read(load_sql("select_report_reward_trajectory"), [version])
    scores = wh.read(load_sql("select_report_reward_scores"), [version])
    diag = wh.read(load_sql("select_report_reward_diagnosis"), [version])
    return [
        *trajectory_section(trajectory, labels, _reference_note(wh, version, labels)),
        *distribution_section(scores, labels, colours),
        *diagnosis_section(wh, diag, labels, colours),
    ]
