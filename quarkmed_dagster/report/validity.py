"""The report's validity figure: how far our generated rubric items cover the physicians'
own criteria (HealthBench) and must-have statements (K-QA), and how many of our items match
one of theirs (table ``rubric_coverage``, written by the rubric stage)."""

from __future__ import annotations

from html import escape

import polars as pl

from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.report.html import model_label, section, table_html
from quarkmed_dagster.report.svg import bar_chart
from quarkmed_dagster.validity.show import instrument_label, verdict
from quarkmed_dagster.validity.summary import with_baseline_comparison

COLUMNS = (
    "rubric_set_version",
    "generators",
    "source",
    "measure",
    "stratum",
    "n",
    "matched",
    "value",
    "threshold",
)
TITLE = "Physician coverage of our rubrics (validity figure)"


def _labels(models: list[str] | None) -> str:
    return ", ".join(model_label(m, is_baseline(m)) for m in models or []) or "unknown"


def _generators(frame: pl.DataFrame) -> pl.DataFrame:
    """``generators`` as text, each offline baseline labelled "(baseline)"."""
    labels = [_labels(models) for models in frame["generators"].to_list()]
    return frame.with_columns(pl.Series("generators", labels, dtype=pl.Utf8))


def coverage_section(coverage: pl.DataFrame) -> list[str]:
    if coverage.is_empty():
        return [section(TITLE)]
    coverage = _generators(coverage)
    several = coverage["rubric_set_version"].n_unique() > 1
    rows = [
        (
            (f"{r['rubric_set_version'][:8]} · " if several else "")
            + f"{r['source']} · {r['measure']} · {r['stratum']} (n={r['n']})",
            r["value"],
            None,
            None,
        )
        for r in coverage.iter_rows(named=True)
    ]
    sets = coverage.select("rubric_set_version", "generators").unique().sort("rubric_set_version")
    written_by = "; ".join(f"{v}: {g}" for v, g in sets.rows())
    return [
        section(
            TITLE,
            "<p><b>Validity figure, not a target.</b> Recall: share of the physician-written "
            "criteria (HealthBench) and must-have / nice-to-have statements (K-QA) that one of "
            "our generated items matches by meaning (embedding similarity at least the "
            "threshold), by the physicians' kind; precision: share of our items that match a "
            "physician item, by our tier. Rubrics are never shaped from these references. "
            f"Rubric sets written by: {written_by}. A set whose generators are all offline "
            "baselines (each labelled baseline) gives baseline figures: no LLM wrote its "
            "items.</p>",
            bar_chart(rows, "Physician coverage: recall and precision by tier", xmax=1.0),
            table_html(coverage.select(*COLUMNS)),
        )
    ]


VALIDITY_TITLE = "Validity: agreement with experts beside trivial baselines"
VALIDITY_COLUMNS = ["task", "dataset", "instrument", "metric", "value", "n", "vs_baselines"]


def validity_section(figures: pl.DataFrame) -> list[str]:
    """The ``validity_metrics`` figures (``quarkmed validate``), each instrument's row marked
    when a trivial baseline of the same run beats it."""
    if figures.is_empty():
        return [
            section(
                VALIDITY_TITLE,
                "<p class='empty'>No validity figures yet: run <code>quarkmed validate</code>.</p>",
            )
        ]
    compared = with_baseline_comparison(figures)
    rows = compared.with_columns(
        pl.Series(
            "instrument",
            [instrument_label(r["instrument"], r["kind"]) for r in compared.iter_rows(named=True)],
            dtype=pl.Utf8,
        ),
        pl.Series(
            "vs_baselines", [verdict(r) for r in compared.iter_rows(named=True)], dtype=pl.Utf8
        ),
    )
    below = rows.filter(pl.col("beats_baselines") == False)  # noqa: E712
    judges = ", ".join(sorted(set(figures["judge_models"]))) if "judge_models" in figures else ""
    return [
        section(
            VALIDITY_TITLE,
            "<p><b>Leak-free, measured in one run.</b> Judges: "
            f"{escape(judges)}. Trivial baselines (answer length, question-answer token overlap "
            "and cosine, statement-answer overlap and cosines) are fitted on declared dev splits "
            "(K-QA physician answers of questions outside the reported set; half of ExpertQA by "
            "question) and reported on the rest; the judges are not fitted here. "
            f"<b>{below.height} instrument figure(s) are below a trivial baseline</b> and are "
            "marked BELOW.</p>",
            table_html(rows.select(VALIDITY_COLUMNS), max_rows=120),
        )
    ]
