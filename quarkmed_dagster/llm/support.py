"""Pieces of the gateway that do not need its state: throttles, retry policy, litellm setup,
usage and run summaries."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from quarkmed_dagster import settings as _settings  # noqa: F401  (offline cost map first)
from quarkmed_dagster.llm.config import Deployment, Profile
from quarkmed_dagster.llm.types import CallResult

RETRY_STATUS = {408, 409, 425, 429}


@dataclass
class RunSummary:
    run_label: str
    requests: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    tokens: int = 0
    cost_usd: float = 0.0
    wall_s: float = 0.0
    stopped_by_budget: str | None = None


class Throttle:
    """Semaphore plus minimum spacing between request starts (rpm) for one deployment."""

    def __init__(self, deployment: Deployment) -> None:
        self.semaphore = asyncio.Semaphore(max(1, deployment.concurrency))
        self.interval = 60.0 / deployment.rpm if deployment.rpm else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def pace(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)


class CallFailure(Exception):
    def __init__(self, error_class: str, message: str, attempts: int) -> None:
        super().__init__(message)
        self.error_class, self.message, self.attempts = error_class, message, attempts


class OverBudget(Exception):
    pass


def retryable(exc: BaseException) -> bool:
    import litellm

    if isinstance(exc, litellm.Timeout | litellm.APIConnectionError | asyncio.TimeoutError):
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status in RETRY_STATUS or status >= 500)


_priced: set[str] = set()


def register_price(deployment: Deployment) -> None:
    """Teach litellm's cost map a configured price (once per model and process)."""
    if deployment.input_cost_per_token is None or deployment.model in _priced:
        return
    import litellm

    provider = deployment.model.split("/", 1)[0]
    litellm.register_model(
        {
            deployment.model: {
                "input_cost_per_token": deployment.input_cost_per_token,
                "output_cost_per_token": deployment.output_cost_per_token or 0.0,
                "litellm_provider": provider,
                "mode": "chat",
            }
        }
    )
    _priced.add(deployment.model)


def key_values(profile: Profile) -> list[str]:
    """Values of the profile's key variables, read by litellm, only to scrub them."""
    from litellm import get_secret_str

    values = []
    for name in profile.key_env:
        try:
            values.append(get_secret_str(name) or "")
        except Exception:
            continue
    return values


def quiet_litellm() -> None:
    import litellm

    litellm.suppress_debug_info = True  # no banners in logs
    # nor its per-model cost-map warnings about self-hosted models priced in models.yaml
    logging.getLogger("LiteLLM").setLevel(logging.ERROR)


def usage_of(response: Any) -> tuple[int, int]:
    usage = getattr(response, "usage", None)
    if usage is None:
        return 0, 0
    return int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)


def summarise(
    label: str, results: list[CallResult], exhausted: str | None, wall: float
) -> RunSummary:
    summary = RunSummary(run_label=label, requests=len(results), wall_s=wall)
    for result in results:
        summary.by_status[result.status] = summary.by_status.get(result.status, 0) + 1
        if result.status == "ok":
            summary.tokens += result.tokens_in + result.tokens_out
            summary.cost_usd += result.cost_usd
    summary.stopped_by_budget = exhausted
    return summary
