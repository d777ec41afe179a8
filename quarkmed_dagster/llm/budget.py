"""Per-run budgets (spent in ``ledger``) and the pre-run estimate (litellm's offline cost map)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from quarkmed_dagster import settings as _settings  # noqa: F401  (offline cost map first)
from quarkmed_dagster.llm.config import Profile, is_baseline
from quarkmed_dagster.llm.ledger import SpendLedger, Spent, ledger_for
from quarkmed_dagster.llm.loop import in_pool
from quarkmed_dagster.llm.types import CallRequest

log = logging.getLogger(__name__)

DEFAULT_OUTPUT_TOKENS = 400
CHARS_PER_TOKEN = 4  # estimate only; real usage comes back from the provider


# The budget of a run outside Dagster: every gateway of this process draws on it.
PROCESS_RUN_ID = f"process-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Budget:
    """Limits for one run (all its gateways and processes); None = unlimited.

    A call is one request to a model: a re-ask counts as a call, retries of a failed
    attempt do not; cached calls count for nothing."""

    max_calls: int | None = None
    max_tokens: int | None = None
    max_cost_usd: float | None = None

    @property
    def limited(self) -> bool:
        return any(v is not None for v in (self.max_calls, self.max_tokens, self.max_cost_usd))

    def limit_reached(self, spent: Spent) -> str | None:
        """The limit that forbids another call, if any."""
        if self.max_calls is not None and spent.calls >= self.max_calls:
            return f"max_calls={self.max_calls}"
        if self.max_tokens is not None and spent.tokens >= self.max_tokens:
            return f"max_tokens={self.max_tokens}"
        if self.max_cost_usd is not None and spent.cost_usd >= self.max_cost_usd:
            return f"max_cost_usd={self.max_cost_usd}"
        return None


@dataclass
class BudgetMeter:
    """One gateway run's (or worker shard's) draw on its run's budget in the ledger.

    Tokens and cost are known only when a call returns, so calls already in flight when a
    token or cost limit is reached may overshoot it; ``max_calls`` is exact."""

    budget: Budget
    run_id: str = PROCESS_RUN_ID
    ledger: SpendLedger | None = None  # None: unlimited, nothing to record
    exhausted: str | None = None  # which limit stopped the run
    announced: bool = False  # this meter recorded the stop: its gateway says so, once

    @classmethod
    def for_run(cls, budget: Budget, run_id: str, cache_path: Path | str | None) -> BudgetMeter:
        """The meter of ``run_id``, kept in the cache file at ``cache_path`` (or memory)."""
        return cls(budget, run_id, ledger_for(cache_path) if budget.limited else None)

    async def start(self) -> bool:
        """Reserve one call; False (and remember why) once any limit is reached."""
        if self.exhausted is not None:
            return False
        if self.ledger is None:
            return True
        reservation = await in_pool("io", self.ledger.reserve, self.run_id,
                                    self.budget.limit_reached)  # fmt: skip
        if not reservation.granted:
            self.exhausted = reservation.stopped
            self.announced = self.announced or reservation.first_stop
        return reservation.granted

    async def spend(self, tokens: int, cost_usd: float) -> None:
        if self.ledger is not None:
            await in_pool("io", self.ledger.spend, self.run_id, tokens, cost_usd)


@dataclass
class Estimate:
    calls: int
    cached: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    unpriced_models: list[str] = field(default_factory=list)

    def describe(self) -> str:
        unpriced = (
            f"; no price for {', '.join(self.unpriced_models)}" if self.unpriced_models else ""
        )
        return (
            f"estimate: {self.calls} live calls ({self.cached} cached), ~{self.tokens_in} tokens "
            f"in, ~{self.tokens_out} out, ~${self.cost_usd:.4f}{unpriced}"
        )


def price(model: str, tokens_in: int, tokens_out: int) -> float | None:
    """USD from litellm's bundled cost map; 0 for baselines, None when the model is unknown."""
    if is_baseline(model):
        return 0.0
    import litellm

    try:
        cost_in, cost_out = litellm.cost_per_token(
            model=model, prompt_tokens=tokens_in, completion_tokens=tokens_out
        )
    except Exception:
        return None
    return float(cost_in + cost_out)


class UnpricedModels(ValueError):
    """A cost budget is set, but some model has no price: its calls would spend $0."""


def unpriced_models(profile: Profile, models: list[str] | None = None) -> list[str]:
    """Models (default: every model the profile's roles configure) with no price: not a
    baseline, no ``input_cost_per_token`` in their deployment and unknown to litellm's cost
    map."""
    if models is None:
        models = [m.model for role in profile.roles.values() for m in role]
    out = []
    for model in sorted(set(models)):
        if is_baseline(model) or profile.deployment(model).input_cost_per_token is not None:
            continue
        if price(model, 1, 1) is None:
            out.append(model)
    return out


def check_cost_budget(budget: Budget, profile: Profile, models: list[str] | None = None) -> None:
    """Refuse a cost budget that could not stop: litellm cannot price a model's calls, so
    they would count $0 against ``max_cost_usd`` whatever they really cost."""
    if budget.max_cost_usd is None:
        return
    missing = unpriced_models(profile, models)
    if missing:
        raise UnpricedModels(
            f"QUARKMED_BUDGET_MAX_COST_USD={budget.max_cost_usd} is set but litellm has no "
            f"price for {', '.join(missing)}, so its calls would count $0 against it. Add "
            "input_cost_per_token and output_cost_per_token (USD per token; 0.0 for a "
            f"self-hosted model) under deployments: {missing[0]}: in the profile "
            f"{profile.name!r} of models.yaml (QUARKMED_MODELS_CONFIG), or unset "
            "QUARKMED_BUDGET_MAX_COST_USD."
        )


def estimate_tokens(request: CallRequest) -> tuple[int, int]:
    chars = sum(len(str(m.get("content", ""))) for m in request.messages)
    out = int(request.params.get("max_tokens") or DEFAULT_OUTPUT_TOKENS)
    return max(1, chars // CHARS_PER_TOKEN), out


def estimate(requests: list[CallRequest], cached_keys: set[str]) -> Estimate:
    live = [r for r in requests if r.cache_key not in cached_keys]
    by_model: dict[str, list[int]] = {}
    for request in live:
        tokens_in, tokens_out = estimate_tokens(request)
        totals = by_model.setdefault(request.model, [0, 0])
        totals[0] += tokens_in
        totals[1] += tokens_out
    cost, unpriced = 0.0, []
    for model, (tokens_in, tokens_out) in sorted(by_model.items()):
        value = price(model, tokens_in, tokens_out)
        if value is None:
            unpriced.append(model)
        else:
            cost += value
    return Estimate(
        calls=len(live),
        cached=len(requests) - len(live),
        tokens_in=sum(t[0] for t in by_model.values()),
        tokens_out=sum(t[1] for t in by_model.values()),
        cost_usd=cost,
        unpriced_models=unpriced,
    )
