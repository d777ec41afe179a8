"""Dagster resource that builds gateways (resource key ``llm``)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from quarkmed_dagster.llm.budget import Budget
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.config import Profile, RoleModel, load_profile
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse


class LLMGatewayResource(dg.ConfigurableResource):
    """Model profile, call cache and call log; ``gateway(run_label)`` per asset run.

    The budget (``max_*``) is one per Dagster run: every gateway built for the run, in
    every step process, draws on it (outside a run: one per process)."""

    models_config: str
    profile: str = "baseline"
    cache_path: str
    warehouse_path: str | None = None
    max_calls: int | None = None
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    # >1 shards large runs (>= 1000 uncached calls) over worker processes.
    processes: int = 1

    _cache: CallCache | None = PrivateAttr(default=None)
    _run_id: str | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls) -> LLMGatewayResource:
        s = get_settings()
        return cls(
            models_config=str(s.models_config),
            profile=s.model_profile,
            cache_path=str(s.cache_dir / "llm_calls.sqlite"),
            warehouse_path=str(s.warehouse),
            max_calls=s.budget_max_calls,
            max_tokens=s.budget_max_tokens,
            max_cost_usd=s.budget_max_cost_usd,
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Each step process of a run initialises its resources with the same run id.
        self._run_id = context.run.run_id if context.run is not None else None

    def load_profile(self) -> Profile:
        return load_profile(self.models_config, self.profile)

    def role_models(self, role: str) -> tuple[RoleModel, ...]:
        return self.load_profile().models(role)

    def gateway(
        self, run_label: str, read_cache: bool = True, profile: Profile | None = None
    ) -> LiteLLMGateway:
        """``read_cache=False`` re-asks the models (fresh answers replace the cached ones);
        ``profile`` replaces the configured one (e.g. with a user model's deployment)."""
        if self._cache is None:
            self._cache = CallCache(Path(self.cache_path))
        warehouse = Warehouse(self.warehouse_path) if self.warehouse_path else None
        budget = Budget(self.max_calls, self.max_tokens, self.max_cost_usd)
        return LiteLLMGateway(
            profile or self.load_profile(),
            run_label,
            cache=self._cache,
            warehouse=warehouse,
            budget=budget,
            processes=self.processes,
            read_cache=read_cache,
            run_id=self._run_id,
        )
