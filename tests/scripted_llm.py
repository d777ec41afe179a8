"""Test helper: a gateway resource whose roles point at a scripted local OpenAI-compatible
server (real litellm path), its models config written into the test's tmp dir."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.llm.testing_server import LocalLLMServer


@contextmanager
def scripted_llm(
    tmp_path: Path,
    handler: Callable[..., Any],
    roles: dict[str, list[str]],
    **defaults: Any,
) -> Iterator[tuple[LocalLLMServer, LLMGatewayResource]]:
    """The server and a resource on the warehouse file of the ``warehouse`` fixture."""
    with LocalLLMServer(handler) as server:
        config = tmp_path / "models.yaml"
        profile = {"defaults": {"api_base": server.url, **defaults}, "roles": roles}
        config.write_text(yaml.safe_dump({"profiles": {"scripted": profile}}))
        yield (
            server,
            LLMGatewayResource(
                models_config=str(config),
                profile="scripted",
                cache_path=str(tmp_path / "c.sqlite"),
                warehouse_path=str(tmp_path / "warehouse.duckdb"),
            ),
        )
