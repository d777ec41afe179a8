"""The report's validity figure: how far our generated rubric items cover the physicians'
own criteria (HealthBench) and must-have statements (K-QA), and how many of our items match
one of theirs (table ``rubric_coverage``, written by the rubric stage)."""

from __future__ import annotations

import polars as pl

from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.report.html import model_label, section, table_html
from quarkmed_dagster.report.svg import bar_chart

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
