"""The report's worst and best queries per model, each linked to its page in the
per-sample viewer written beside the report (``samples/``), pre-filtered to the model."""

from __future__ import annotations

from html import escape

import polars as pl

from quarkmed_dagster.report.html import section, with_model_labels
from quarkmed_dagster.viewer.build import VIEWER_DIR
from quarkmed_dagster.viewer.render import INDEX, sample_link
from quarkmed_dagster.viewer.samples import sample_page_name

TITLE = "Worst and best queries per model"
SHOWN = 3


def extremes(qs: pl.DataFrame, k: int = SHOWN) -> pl.DataFrame:
    """Per model, its ``k`` lowest and ``k`` highest scored queries (``end``: worst / best);
    a model with fewer than 2k scores shows each query once, the lower half as worst."""
    scored = qs.filter(pl.col("score").is_not_null()).sort("candidate_model", "score", "query_id")
    ranked = scored.with_columns(
        low=pl.int_range(pl.len()).over("candidate_model"),
        n=pl.len().over("candidate_model").cast(pl.Int64),  # n - k may be negative
    )
    n_worst = pl.min_horizontal(pl.lit(k), (pl.col("n") + 1) // 2)
    worst = pl.col("low") < n_worst
    best = pl.col("low") >= pl.max_horizontal(pl.col("n") - k, n_worst)
    picked = ranked.filter(worst | best).with_columns(
        end=pl.when(worst).then(pl.lit("worst")).otherwise(pl.lit("best"))
    )
    # per model: worst first (lowest first), then best (highest first)
    order = pl.when(pl.col("end") == "worst").then(pl.col("score")).otherwise(-pl.col("score"))
    return picked.sort(["candidate_model", pl.col("end") == "best", order]).drop("low", "n")


def _row(r: dict) -> str:
    href = f"{VIEWER_DIR}/{sample_link(sample_page_name(r['query_id']), r['raw_model'])}"
    return (
        f"<tr><td>{escape(r['candidate_model'])}</td><td>{escape(r['end'])}</td>"
        f'<td><a class="sample-link" href="{escape(href, quote=True)}">'
        f"{escape(r['query_id'])}</a></td><td>{escape(str(r.get('category') or ''))}</td>"
        f"<td>{r['score']:.3f}</td></tr>"
    )


def sample_links_section(qs: pl.DataFrame) -> list[str]:
    if qs.is_empty():
        return [section(TITLE)]
    picked = extremes(qs.with_columns(raw_model=pl.col("candidate_model")))
    rows = "".join(_row(r) for r in with_model_labels(picked).iter_rows(named=True))
    return [
        section(
            TITLE,
            f"<p>Each query opens in the per-sample viewer (<a href='{VIEWER_DIR}/{INDEX}'>all "
            "samples</a>, filterable by model and category): its conversation, evidence, "
            "rubric, the model's response and every judge's verdict per item.</p>",
            "<table><tr><th>model</th><th></th><th>query</th><th>category</th><th>score</th>"
            f"</tr>{rows}</table>",
        )
    ]
