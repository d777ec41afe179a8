"""Write the per-sample viewer from the warehouse: ``<dir>/index.html`` and one page per
query with a current rubric (``<dir>/<page>.html``), read with the ``select_viewer_*``
SQL. The report links into it from its worst / best queries."""

from __future__ import annotations

from pathlib import Path

from quarkmed_dagster.viewer.render import INDEX, index_page, sample_page
from quarkmed_dagster.viewer.samples import Sample, assemble_samples
from quarkmed_dagster.warehouse import Warehouse, load_sql

VIEWER_DIR = "samples"  # beside the report: reports_dir/samples/
FRAMES = ("queries", "evidence", "items", "responses", "verdicts", "consensus")


def read_samples(wh: Warehouse) -> list[Sample]:
    frames = {name: wh.read(load_sql(f"select_viewer_{name}")) for name in FRAMES}
    return assemble_samples(**frames)


def write_viewer(wh: Warehouse, directory: Path, report: str | None = None) -> Path:
    """Write the pages (stale pages of queries no longer shown are removed); returns the
    index. ``report``: a relative link back to the HTML report."""
    directory.mkdir(parents=True, exist_ok=True)
    samples = read_samples(wh)
    pages = {s.page for s in samples}
    for old in directory.glob("*.html"):
        if old.name != INDEX and old.name not in pages:
            old.unlink()
    for sample in samples:
        (directory / sample.page).write_text(sample_page(sample), encoding="utf-8")
    index = directory / INDEX
    index.write_text(index_page(samples, report), encoding="utf-8")
    return index
