"""Small helpers for Dagster metadata previews (no Dagster import: plain strings)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape
from pathlib import Path

import polars as pl


def frame_to_markdown(frame: pl.DataFrame, max_rows: int = 20, max_chars: int = 120) -> str:
    """A markdown table of the first rows, cells shortened and pipes escaped."""
    if frame.is_empty():
        return "(empty)"
    shown = frame.head(max_rows)
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    rows = []
    for row in shown.iter_rows():
        cells = [str(v).replace("|", "/").replace("\n", " ")[:max_chars] for v in row]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([header, rule, *rows])


def svg_markdown(svg: str, alt: str) -> str:
    """Markdown image with the SVG inlined as a base64 data URI."""
    data = base64.b64encode(svg.encode()).decode()
    return f"![{escape(alt)}](data:image/svg+xml;base64,{data})"


def save_plots(plots: Mapping[str, str], directory: Path) -> dict[str, str]:
    """Write each SVG to ``directory/<name>.svg``; return name -> markdown image."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, svg in plots.items():
        (directory / f"{name}.svg").write_text(svg, encoding="utf-8")
    return {name: svg_markdown(svg, name) for name, svg in plots.items()}
