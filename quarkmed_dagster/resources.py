"""Dagster resources bound from settings. Each wraps an adapter; assets stay thin."""

from __future__ import annotations

import dagster as dg

from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.retrieval.resource import RetrievalResource
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
    return {
        "warehouse": WarehouseResource(path=str(settings.warehouse)),
        "llm": LLMGatewayResource.from_settings(),
        "retrieval": RetrievalResource(
            index_dir=str(settings.index_dir),
            es_url=settings.es_url,
            es_index_prefix=settings.es_index_prefix,
            top_k=settings.retrieval_top_k,
            mode=settings.retrieval_mode,
        ),
    }
