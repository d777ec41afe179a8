"""Column descriptions of the warehouse tables and views (``columns.yaml`` beside this
module), for the ``dagster/column_schema`` of every table asset."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

DESCRIPTIONS = Path(__file__).with_name("columns.yaml")


@cache
def _descriptions() -> dict[str, str]:
    return yaml.safe_load(DESCRIPTIONS.read_text(encoding="utf-8"))


def column_description(table: str, column: str) -> str | None:
    """The table's own description of the column, else the shared one of its name."""
    found = _descriptions()
    return found.get(f"{table}.{column}") or found.get(column)
