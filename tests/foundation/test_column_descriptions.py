"""Every column of every warehouse table and mart view has a description, shown by Dagster
in the ``dagster/column_schema`` of the table assets; the descriptions file names no column
that does not exist (a typo would otherwise go unnoticed)."""

from __future__ import annotations

from quarkmed_dagster.marts.views import create_marts
from quarkmed_dagster.metadata import column_schema, frame_metadata
from quarkmed_dagster.report.build import report_outline
from quarkmed_dagster.warehouse.columns import _descriptions, column_description


def _columns(warehouse) -> list[tuple[str, str]]:
    warehouse.ensure_schema()
    create_marts(warehouse)
    return warehouse.read(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).rows()


def test_every_table_and_mart_column_is_described(warehouse):
    columns = _columns(warehouse)
    assert len({t for t, _ in columns}) > 40
    missing = [f"{t}.{c}" for t, c in columns if not column_description(t, c)]
    assert not missing, missing


def test_descriptions_name_only_existing_columns(warehouse):
    columns = _columns(warehouse)
    names = {c for _, c in columns} | {f"{t}.{c}" for t, c in columns}
    outline = {f"report_outline.{c}" for c in report_outline("").columns}
    assert set(_descriptions()) - names - outline == set()


def test_table_asset_schemas_carry_the_descriptions(warehouse):
    warehouse.ensure_schema()
    schema = column_schema(warehouse, "query_scores")
    by_name = {c.name: c.description for c in schema.columns}
    assert by_name["risk_interception"] == "1 - the Pitfall penalty (higher is safer)."
    assert all(by_name.values())
    outline = frame_metadata(report_outline(""), table="report_outline")["dagster/column_schema"]
    assert all(c.description for c in outline.value.columns)
