"""Per-run budgets and the pre-run estimate (litellm's offline cost map)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from quarkmed_dagster import settings as _settings  # noqa: F401  (offline cost map first)
from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.llm.types import CallRequest

log = logging.getLogger(__name__)

DEFAULT_OUTPUT_TOKENS = 400
CHARS_PER_TOKEN = 4  # estimate only; real usage comes back from the provider


@dataclass(frozen=True)
class Budget:
    """Limits for one gateway run; None = unlimited. Cached calls count for nothing."""

    max_calls: int | None = None
    max_tokens: int | None = None
    max_cost_usd: float | None = None

    def split(self, n: int) -> list[Budget]:
        """n shares whose sums equal this budget (for worker processes)."""

        def share(value: int | None, i: int) -> int | None:
            return None if value is None else value // n + (1 if i < value % n else 0)

        return [
            Budget(
                share(self.max_calls, i),
                share(self.max_tokens, i),
                None if self.max_cost_usd is None else self.max_cost_usd / n,
            )
            for i in range(n)
        ]


@dataclass
class BudgetMeter:
    budget: Budget
    calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    exhausted: str | None = None  # which limit stopped the run

    def try_start(self) -> bool:
        """Reserve one call; False (and remember why) once any limit is reached."""
        if self.exhausted is None:
            b = self.budget
            if b.max_calls is not None and self.calls >= b.max_calls:
                self.exhausted = f"max_calls={b.max_calls}"
            elif b.max_tokens is not None and self.tokens >= b.max_tokens:
                self.exhausted = f"max_tokens={b.max_tokens}"
            elif b.max_cost_usd is not None and self.cost_usd >= b.max_cost_usd:
                self.exhausted = f"max_cost_usd={b.max_cost_usd}"
        if self.exhausted is not None:
            return False
        self.calls += 1
        return True

    def spend(self, tokens: int, cost_usd: float) -> None:
        self.tokens += tokens
        self.cost_usd += cost_usd


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
