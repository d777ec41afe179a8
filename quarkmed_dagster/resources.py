"""Dagster resources bound from settings. Each wraps an adapter; assets stay thin."""

from __future__ import annotations

import dagster as dg

from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file."""

    path: str

    def get(self) -> Warehouse:
        warehouse = Warehouse(self.path)
        warehouse.ensure_schema()
        return warehouse


def build_resources() -> dict[str, object]:
    settings = get_settings()
    return {"warehouse": WarehouseResource(path=str(settings.warehouse))}
