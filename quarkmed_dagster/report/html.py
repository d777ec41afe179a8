"""HTML pieces shared by the report's sections: model labels, tables, section headings."""

from __future__ import annotations

from html import escape

import polars as pl

from quarkmed_dagster.warehouse import Warehouse, load_sql


def model_label(model: str, is_baseline: bool | None) -> str:
    return f"{model} (baseline)" if is_baseline else model


def baseline_labels(wh: Warehouse) -> dict[str, str]:
    """candidate_model -> its report label ("... (baseline)" for baseline models)."""
    return {m: model_label(m, b) for m, b in wh.read(load_sql("select_candidate_baseline")).rows()}


MODEL_COLUMNS = ("candidate_model", "judge_model", "model")


def with_model_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """Model-name columns read "<model> (baseline)" where the row's ``is_baseline`` is true."""
    if "is_baseline" not in frame.columns:
        return frame
    return frame.with_columns(
        pl.when(pl.col("is_baseline").fill_null(False))
        .then(pl.col(c) + " (baseline)")
        .otherwise(pl.col(c))
        .alias(c)
        for c in MODEL_COLUMNS
        if c in frame.columns
    )


def table_html(frame: pl.DataFrame, max_rows: int = 30, max_chars: int = 160) -> str:
    if frame.is_empty():
        return '<p class="empty">No rows.</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.head(max_rows).iter_rows():
        cells = []
        for v in row:
            text = f"{v:.3f}" if isinstance(v, float) else ("" if v is None else str(v))
            cells.append(f"<td>{escape(text[:max_chars])}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def section(title: str, *parts: str) -> str:
    return f"<h2>{escape(title)}</h2>" + "".join(parts or ('<p class="empty">No data yet.</p>',))
