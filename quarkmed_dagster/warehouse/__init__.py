"""DuckDB warehouse: DDL from ``sql/``, idempotent batch writes, read-only analyst access."""

from quarkmed_dagster.warehouse.store import Warehouse, load_sql

__all__ = ["Warehouse", "load_sql"]
