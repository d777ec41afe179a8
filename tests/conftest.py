"""Shared fixtures: a real Elasticsearch and fresh warehouses.

Elasticsearch: the test command (scripts/test.sh) starts one node and exports
QUARKMED_TEST_ES_URL. Run alone, the fixture starts and stops the node itself. If no node
can be started the Elasticsearch tests fail loudly; they are never skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server_scripts import served_by

# `main_job`: the main job run once per session on a bundled slice (shared by the main-job,
# marts and asset-metadata tests).
pytest_plugins = ["tests.integration.main_job"]

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
ES_SCRIPT = PROJECT_ROOT / "scripts" / "elasticsearch.sh"


@pytest.fixture(scope="session")
def elasticsearch_url() -> Iterator[str]:
    url = os.environ.get("QUARKMED_TEST_ES_URL")
    if url:
        yield url
        return
    yield from served_by(ES_SCRIPT, "Elasticsearch", start_timeout=900, stop_timeout=120)


@pytest.fixture()
def warehouse(tmp_path: Path):
    from quarkmed_dagster.warehouse import Warehouse

    store = Warehouse(tmp_path / "warehouse.duckdb")
    store.ensure_schema()
    return store


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"../shared/data not found at {SHARED_DATA}", pytrace=False)
    return SHARED_DATA
