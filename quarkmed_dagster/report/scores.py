"""The report's score sections: leaderboard with intervals and the versions it was made
with, per-category and per-dimension breakdowns, score distributions, rubric tier mix, and the
HealthBench-compatible scores."""

from __future__ import annotations

from html import escape

import polars as pl

from quarkmed_dagster.leaderboard import common_set_note
from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.marts.dimensions import VERSION_COLUMNS
from quarkmed_dagster.report.html import model_label, section, table_html, with_model_labels
from quarkmed_dagster.report.scales import ModelColours
from quarkmed_dagster.report.svg import bar_chart, ecdf_chart


def is_overall(category: pl.Expr) -> pl.Expr:
    """The leaderboard's overall rows (the scoring stage writes category 'all')."""
    return category.str.to_lowercase() == "all"


def _n(frame: pl.DataFrame) -> str:
    return "n_scored" if "n_scored" in frame.columns else "n_queries"


def without_single_intervals(frame: pl.DataFrame) -> pl.DataFrame:
    """No interval where it rests on fewer than two scored queries (an interval of one value
    is not one): ``ci_low`` / ``ci_high`` missing there, and the common-set interval where
    ``n_common`` < 2."""
    pairs = [(_n(frame), ("ci_low", "ci_high")), ("n_common", ("common_ci_low", "common_ci_high"))]
    return frame.with_columns(
        pl.when(pl.col(n) >= 2).then(pl.col(c)).otherwise(None).alias(c)
        for n, cols in pairs
        if n in frame.columns
        for c in cols
        if c in frame.columns
    )


def _interval_rows(frame: pl.DataFrame, label: str) -> list[tuple]:
    """(label with its n, score, interval) per row; one query: "(n=1)" and no interval."""
    n = _n(frame)
    return [
        (f"{r[label]} (n={r[n]})", r["score"], r["ci_low"], r["ci_high"])
        for r in without_single_intervals(frame).iter_rows(named=True)
    ]


def _model_colours(frame: pl.DataFrame, colours: ModelColours) -> list[str]:
    return [colours.of(m) for m in frame["candidate_model"].to_list()]


def _labelled(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds ``model``: the candidate model's name, labelled baseline where it is one."""
    return with_model_labels(frame).with_columns(pl.col("candidate_model").alias("model"))


def versions_html(lb: pl.DataFrame) -> str:
    cols = [c for c in VERSION_COLUMNS if c in lb.columns]
    versions = lb.select(cols).unique().sort(cols)
    return "<p>Every score above was computed with these versions:</p>" + table_html(versions)


def leaderboard_section(lb: pl.DataFrame, colours: ModelColours) -> list[str]:
    if lb.is_empty():
        return [section("Leaderboard (95% interval)")]
    lb = _labelled(lb)
    overall = lb.filter(is_overall(pl.col("category"))).sort(
        "score", "candidate_model", descending=[True, False], nulls_last=True
    )
    shown = ["model", "score", "ci_low", "ci_high", "n_queries", "n_scored", "coverage"]
    common = ["common_score", "common_ci_low", "common_ci_high", "n_common"]
    shown = [c for c in shown + common if c in lb.columns or c == "model"]
    note = common_set_note(overall) if "n_scored" in overall.columns else ""
    out = [
        section(
            "Leaderboard (95% interval)",
            bar_chart(
                _interval_rows(overall, "model"),
                "Overall score with 95% interval",
                xmax=1.0,
                colours=_model_colours(overall, colours),
            ),
            table_html(without_single_intervals(overall).select(shown)),
            "<p>Interval: seeded percentile bootstrap over queries. A score is missing (not 0) "
            "when too few of a response's rubric items could be judged. n_scored: responses "
            "with a score, each model's score being the mean over its own; common_score: the "
            "mean over the n_common queries every model has a score on (compare models on "
            f"it when the sets differ).</p><p><b>{escape(note)}</b></p>",
            versions_html(lb),
        )
    ]
    cats = lb.filter(~is_overall(pl.col("category"))).sort("category", "candidate_model")
    if not cats.is_empty():
        cats = cats.with_columns((pl.col("category") + " · " + pl.col("model")).alias("label"))
        out.append(
            section(
                "Per-category breakdown",
                bar_chart(
                    _interval_rows(cats, "label"),
                    "Score by category and model (95% interval)",
                    xmax=1.0,
                    colours=_model_colours(cats, colours),
                ),
                table_html(without_single_intervals(cats).select("category", *shown), 60),
                "<p>n: scored queries of the category. A category with a single query has "
                "no interval (n=1).</p>",
            )
        )
    return out


def distribution_section(qs: pl.DataFrame, colours: ModelColours) -> list[str]:
    if qs.is_empty():
        return [section("Score distributions")]
    qs = _labelled(qs)
    parts = {
        (m, raw): part["score"].drop_nulls().to_list()
        for (m, raw), part in qs.group_by(["model", "candidate_model"], maintain_order=True)
    }
    ordered = sorted(parts, key=lambda k: k[0])
    unscored = qs["score"].null_count()
    return [
        section(
            "Score distributions",
            ecdf_chart(
                {m: parts[(m, raw)] for m, raw in ordered},
                "Per-query score by model (cumulative share of responses)",
                colours=[colours.of(raw) for _, raw in ordered],
                lo=0.0,
                hi=1.0,
            ),
            "<p>Each line: the share of a model's responses scoring at most x (a line further "
            "right is a better model; a step is one or more queries). "
            f"{unscored} of {qs.height} responses have no score (too few judged items); "
            "they are left out of the distributions and the leaderboard means.</p>",
        )
    ]


INTERVAL_COLUMNS = ("score", "ci_low", "ci_high", "n_scored", "n_queries")


def dimension_section(dims: pl.DataFrame, colours: ModelColours) -> list[str]:
    """``dims``: the ``leaderboard_dimensions`` mart (intervals computed there, not here)."""
    if dims.is_empty():
        return [section("Per-dimension breakdown")]
    overall = _labelled(dims.filter(is_overall(pl.col("category")))).sort("model", "dimension")
    labelled = overall.with_columns(label=pl.col("model") + " · " + pl.col("dimension"))
    return [
        section(
            "Per-dimension breakdown",
            bar_chart(
                _interval_rows(labelled, "label"),
                "Mean per dimension with 95% interval",
                xmax=1.0,
                colours=_model_colours(labelled, colours),
            ),
            table_html(
                without_single_intervals(overall).select("model", "dimension", *INTERVAL_COLUMNS)
            ),
            "<p>medical_accuracy: share of Essential points met; key_point_coverage: "
            "positive points met; risk_interception: 1 − Pitfall penalty (higher is "
            "safer). Missing when a response had no judged item of that kind (counted in "
            "n_queries, not in n_scored). From the <code>leaderboard_dimensions</code> mart "
            "(per category too), seeded bootstrap as for the leaderboard.</p>",
        )
    ]


def rubric_section(items: pl.DataFrame, stats: pl.DataFrame) -> list[str]:
    if items.is_empty():
        return [section("Rubric tier mix")]
    mix = items.group_by("tier").len().sort("tier")
    rows = [(r["tier"], float(r["len"]), None, None) for r in mix.iter_rows(named=True)]
    return [
        section(
            "Rubric tier mix",
            bar_chart(rows, "Current rubric items by tier", fmt="{:.0f}"),
            table_html(stats),
        )
    ]


HEALTHBENCH_TITLE = "HealthBench-compatible score (physician criteria)"


def _labelled_judges(judges: str) -> str:
    """'a, b' -> each judge labelled baseline where it is an offline baseline."""
    return ", ".join(model_label(j, is_baseline(j)) for j in judges.split(", ") if j)


def healthbench_section(hb: pl.DataFrame) -> list[str]:
    """``hb``: the ``healthbench_scores`` table (one row per candidate model)."""
    if hb.is_empty():
        return [section(HEALTHBENCH_TITLE)]
    hb = _labelled(hb).sort("score", "model", descending=[True, False], nulls_last=True)
    hb = hb.with_columns(
        judges=pl.col("judge_models").map_elements(_labelled_judges, return_dtype=pl.String)
    )
    shown = ["model", "score", "bootstrap_std", "n_examples", "n_responses", "coverage"]
    return [
        section(
            HEALTHBENCH_TITLE,
            table_html(hb.select(*shown, "judges", "judge_prompt_version")),
            "<p>The official HealthBench formula on the HealthBench conversations' own "
            "physician criteria: per response, points of the criteria met (judge level 1) "
            "over the positive points (met negative criteria subtract); per model, the mean "
            "clipped to [0, 1] and the standard deviation of 1000 bootstrap means. NULL "
            "judgments are left out (coverage: share of criteria judged); a response with no "
            "criterion judged is missing, not 0 (n_examples counts the scored ones).</p>",
        )
    ]
