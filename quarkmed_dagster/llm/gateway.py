"""The LLM gateway: every model call of the project goes through ``LiteLLMGateway.run``.

Per request: cache lookup (a hit costs nothing) -> per-deployment semaphore and rpm
spacing -> a call reserved from the run's budget (shared by every gateway and process of
the run: ``ledger``) -> ``litellm.acompletion`` with bounded retries (exponential
backoff, full jitter) on 429 / 5xx / timeouts / connection errors -> strict JSON parsing
with one re-ask (reasoning blocks and a code fence stripped first) -> the result and its
call-log row committed together (cache entry and log journal in the cache's SQLite file,
grouped with the calls finishing at the same time) before the call counts as finished ->
the journal loaded into the warehouse's ``llm_calls`` at the end of the run (and at the
start of the next one, which recovers a killed run's rows). A failed call is
``status="failed", parsed=None``.

Before any of that, ``normalise`` bounds the completion per role (``max_tokens``) and fits
the prompt into the deployment's context window (``llm.context``: least relevant evidence
dropped and counted); a request that cannot fit is never sent (``ContextOverflow``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from quarkmed_dagster import settings as _settings  # noqa: F401  (offline cost map first)
from quarkmed_dagster.llm.budget import (
    PROCESS_RUN_ID,
    Budget,
    BudgetMeter,
    Estimate,
    check_cost_budget,
    estimate,
    price,
)
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.calllog import encode, load_journal, log_row
from quarkmed_dagster.llm.committer import Committer
from quarkmed_dagster.llm.config import Deployment, Profile, RoleModel
from quarkmed_dagster.llm.context import fit_request
from quarkmed_dagster.llm.loop import heap_frozen, in_pool, run_sync
from quarkmed_dagster.llm.parallel import ShardJob, run_remote
from quarkmed_dagster.llm.progress import report as report_progress
from quarkmed_dagster.llm.providers import register_baselines
from quarkmed_dagster.llm.scrub import error_summary, scrub
from quarkmed_dagster.llm.structured import (
    TRUNCATED,
    InvalidOutput,
    is_refusal,
    parse_output,
    reask_messages,
    response_format,
)
from quarkmed_dagster.llm.support import (
    CallFailure,
    OverBudget,
    RunSummary,
    Throttle,
    key_values,
    quiet_litellm,
    register_price,
    retryable,
    summarise,
    usage_of,
)
from quarkmed_dagster.llm.types import CallRequest, CallResult

log = logging.getLogger(__name__)
# What litellm sends to a local server that takes no key (not a credential).
NO_KEY = "no-key-local-server"


@dataclass
class _Shard:
    """What the calls of one shard (one event loop) share."""

    profile: Profile
    meter: BudgetMeter
    committer: Committer | None
    throttles: dict[str, Throttle] = field(default_factory=dict)


class LiteLLMGateway:
    """Implements the ``Gateway`` protocol of ``quarkmed_dagster.llm.types``."""

    def __init__(
        self,
        profile: Profile,
        run_label: str,
        cache: CallCache | None = None,
        warehouse: Any | None = None,
        budget: Budget | None = None,
        secrets: Iterable[str] = (),
        estimate_above: int = 200,
        processes: int = 1,
        parallel_min_calls: int = 1000,
        read_cache: bool = True,
        log_calls: bool | None = None,
        run_id: str | None = None,
    ) -> None:
        register_baselines()
        quiet_litellm()
        self.profile, self.run_label = profile, run_label
        self.cache, self.warehouse = cache, warehouse
        # False: ask the models again (a scheduled refresh of old results); the fresh
        # answers still replace the stored ones, so later runs reuse them.
        self.read_cache = read_cache
        self.budget = budget or Budget()
        # A cost budget needs a price for every configured model (else it never stops them).
        check_cost_budget(self.budget, profile)
        # The run whose budget this gateway draws on, with every other gateway and process
        # of that run (the Dagster run id; this process's own id outside Dagster).
        self.run_id = run_id or PROCESS_RUN_ID
        self.secrets = tuple(s for s in (*secrets, *key_values(profile)) if s)
        self.estimate_above = estimate_above
        # Large runs can be sharded over worker processes: litellm costs ~5 ms of CPU per
        # call, so one process tops out near 200 calls/s whatever the concurrency.
        self.processes, self.parallel_min_calls = max(1, processes), parallel_min_calls
        self.last_summary: RunSummary | None = None
        self.last_estimate: Estimate | None = None
        # Call-log rows are built when a warehouse will receive them (or when a worker
        # process serves a gateway that has one: ``log_calls=True``). With a cache they are
        # journaled in its file as calls finish; without one they wait in memory.
        self.log_calls = warehouse is not None if log_calls is None else log_calls
        self._pending_log: list[dict[str, Any]] = []

    # ---- public API -------------------------------------------------------------------
    def role_models(self, role: str) -> tuple[RoleModel, ...]:
        return self.profile.models(role)

    def normalise(self, request: CallRequest) -> CallRequest:
        """Deployment defaults and the role's ``max_tokens`` merged into the request params,
        the prompt fitted into the context window (both part of the cache key)."""
        deployment = self.profile.deployment(request.model)
        bound = deployment.max_tokens.get(request.role)
        params = {**({"max_tokens": bound} if bound else {}), **deployment.params,
                  **request.params}  # fmt: skip
        if params != request.params:
            request = replace(request, params=params)
        return fit_request(request, deployment)

    def estimate(self, requests: list[CallRequest]) -> Estimate:
        requests = [self.normalise(r) for r in requests]
        keys = [r.cache_key for r in requests]
        cached = set(self.cache.get_many(keys)) if self.cache and self.read_cache else set()
        return estimate(requests, cached)

    def run(self, requests: list[CallRequest]) -> list[CallResult]:
        """Blocking; safe inside Dagster assets and inside a running event loop."""
        return run_sync(self.arun(requests))

    async def arun(self, requests: list[CallRequest]) -> list[CallResult]:
        started = time.monotonic()
        if self.warehouse is not None:
            await in_pool("io", self.flush_log)  # rows journaled by an earlier, killed run
        requests = [self.normalise(r) for r in requests]
        check_cost_budget(self.budget, self.profile, [r.model for r in requests])
        keys = [r.cache_key for r in requests]
        hits = self.cache.get_many(keys) if self.cache and self.read_cache else {}
        unique: dict[str, CallRequest] = {}
        for key, request in zip(keys, requests, strict=True):
            if key not in hits:
                unique.setdefault(key, request)  # a request repeated in one run is called once
        if len(unique) >= self.estimate_above:
            self.last_estimate = estimate(requests, set(hits))
            print(
                f"[llm gateway {self.run_label}] {self.last_estimate.describe()}", file=sys.stderr
            )
        if unique:
            report_progress(self.run_label, 0, len(unique))
        executed, exhausted, announced = await self._run_live(list(unique.values()))
        if unique:
            report_progress(self.run_label, len(unique), len(unique))
        results: list[CallResult] = []
        seen: set[str] = set()
        for key, request in zip(keys, requests, strict=True):
            if key in hits:
                result = hits[key]
                if self.log_calls:
                    self._pending_log.append(log_row(self.run_label, request, result, None))
            else:
                # The live call logged its own row; a repeat in this run shares its call_id.
                result = executed[key]
                if key in seen and result.ok:
                    result = replace(result, status="cached", cost_usd=0.0, attempts=0)
                seen.add(key)
            results.append(result)
        await in_pool("io", self.flush_log)
        self.last_summary = summarise(
            self.run_label, results, exhausted, time.monotonic() - started
        )
        if announced:  # said once per run, by the gateway that met the limit first
            log.warning(
                "llm budget of run %s exhausted (%s) in %s: the run's remaining calls are "
                "not made (status over_budget)", self.run_id, exhausted, self.run_label,
            )  # fmt: skip
        return results

    async def _run_live(
        self, requests: list[CallRequest]
    ) -> tuple[dict[str, CallResult], str | None, bool]:
        """Execute uncached requests: in this process, or sharded over worker processes.

        Returns the results, the limit that stopped the run and whether it stopped here."""
        cache_path = str(self.cache.path) if self.cache else None
        meter = BudgetMeter.for_run(self.budget, self.run_id, cache_path)
        n = self.processes if len(requests) >= self.parallel_min_calls else 1
        if self.budget.limited and cache_path is None:
            n = 1  # without a cache file there is no ledger for worker processes to share
        if n <= 1:
            executed = await self.run_shard(requests, self.profile, meter)
            return executed, meter.exhausted, meter.announced
        profile = self.profile.split(n)
        jobs = [
            ShardJob(
                type(self),
                profile,
                self.run_label,
                cache_path,
                self.budget,
                self.run_id,
                self.secrets,
                requests[i::n],
                self.log_calls,
            )
            for i in range(1, n)
        ]
        local = self.run_shard(requests[0::n], profile, meter)
        parts = await asyncio.gather(local, *(run_remote(job, n - 1) for job in jobs))
        executed = dict(parts[0])
        reasons, announced = [meter.exhausted], meter.announced
        for shard, reason, shard_announced, rows in parts[1:]:
            executed.update(shard)
            reasons.append(reason)
            announced = announced or shard_announced
            self._pending_log.extend(rows)
        return executed, next((r for r in reasons if r), None), announced

    async def run_shard(
        self, requests: list[CallRequest], profile: Profile, meter: BudgetMeter
    ) -> dict[str, CallResult]:
        shard = _Shard(profile, meter, Committer(self.cache) if self.cache else None)
        queues: dict[str, deque[CallRequest]] = {}
        for request in requests:
            queues.setdefault(profile.deployment(request.model).key, deque()).append(request)
        out: dict[str, CallResult] = {}

        # A fixed set of workers per deployment (its concurrency) drains its queue: tens of
        # thousands of tasks parked on one semaphore make the event loop stall.
        async def worker(queue: deque[CallRequest]) -> None:
            while queue:
                request = queue.popleft()
                out[request.cache_key] = await self._execute(request, shard)
                report_progress(self.run_label, len(out), len(requests))

        workers = [
            worker(queue)
            for queue in queues.values()
            for _ in range(min(len(queue), profile.deployment(queue[0].model).concurrency))
        ]
        with heap_frozen():
            await asyncio.gather(*workers)
        return out

    def flush_log(self) -> int:
        """Load journaled and pending call-log rows into the warehouse (blocking).

        Without a warehouse the pending rows are dropped; journaled rows stay in the cache
        file for the next gateway that has one."""
        rows = self.take_pending_log()
        if self.warehouse is None:
            return 0
        return load_journal(self.cache, self.warehouse, rows)

    def take_pending_log(self) -> list[dict[str, Any]]:
        """Call-log rows held in memory (no cache to journal them in), handed over once."""
        rows, self._pending_log = self._pending_log, []
        return rows

    # ---- one call -----------------------------------------------------------------------
    async def _execute(self, request: CallRequest, shard: _Shard) -> CallResult:
        result, raw = await self._call(request, shard)
        row = log_row(self.run_label, request, result, raw) if self.log_calls else None
        if shard.committer is not None:
            # Finished only once committed: cache entry and log row in one transaction.
            stored = result if result.status == "ok" else None  # failures are not cached
            await shard.committer.commit(stored, None if row is None else encode(row))
        elif row is not None:
            self._pending_log.append(row)
        return result

    async def _call(self, request: CallRequest, shard: _Shard) -> tuple[CallResult, str | None]:
        """The call with retries and re-ask; returns the result and the scrubbed raw text."""
        meter = shard.meter
        base = CallResult(
            cache_key=request.cache_key, role=request.role, model=request.model, status="failed"
        )
        deployment = shard.profile.deployment(request.model)
        throttle = shard.throttles.get(deployment.key)
        if throttle is None:
            throttle = shard.throttles[deployment.key] = Throttle(deployment)
            register_price(deployment)
        if request.context_overflow:  # never sent: it cannot fit the served window
            message = (f"prompt ~{request.prompt_tokens_est} tokens + max_tokens "
                       f"{request.params.get('max_tokens')} > context window "
                       f"{deployment.context_window}, even without evidence")  # fmt: skip
            return replace(base, error_class="ContextOverflow", error_message=message), None
        # tokens_in, tokens_out, cost, attempts, first start, finish reason, refusal field
        usage: list[Any] = [0, 0, 0.0, 0, None, None, None]
        messages, text, reasks = request.messages, None, 0
        try:
            text = await self._complete(request, messages, deployment, throttle, usage, meter)
            parsed = None
            if request.json_schema is not None:
                try:
                    parsed = parse_output(text, request.json_schema)
                except InvalidOutput as first:
                    problem = TRUNCATED if usage[5] == "length" else str(first)
                    messages = reask_messages(messages, text, problem)
                    reasks = 1
                    text = await self._complete(
                        request, messages, deployment, throttle, usage, meter
                    )
                    try:
                        parsed = parse_output(text, request.json_schema)
                    except InvalidOutput as second:
                        raise CallFailure("InvalidOutput", str(second), usage[3]) from None
            result = replace(base, status="ok", text=text, parsed=parsed)
        except OverBudget:  # before the first call, or before its re-ask (that one spent)
            message = f"run budget exhausted ({meter.exhausted})"
            result = replace(base, status="over_budget", error_class="BudgetExceeded",
                             error_message=message)  # fmt: skip
        except CallFailure as failure:
            result = replace(base, error_class=failure.error_class,
                             error_message=scrub(failure.message, self.secrets))  # fmt: skip
        except Exception as exc:  # a malformed response object: still one missing value
            result = replace(base, error_class=type(exc).__name__,
                             error_message=error_summary(exc, self.secrets))  # fmt: skip
        result = replace(
            result,
            tokens_in=usage[0],
            tokens_out=usage[1],
            cost_usd=usage[2],
            attempts=usage[3],
            # From the first attempt's start (queueing for the semaphore excluded).
            latency_s=time.monotonic() - (usage[4] or time.monotonic()),
            reasks=reasks,
            finish_reason=usage[5],
            refused=result.parsed is None and is_refusal(text, usage[5], usage[6]),
        )
        return result, scrub(text, self.secrets)

    async def _complete(
        self,
        request: CallRequest,
        messages: tuple[dict[str, str], ...],
        deployment: Deployment,
        throttle: Throttle,
        usage: list[Any],
        meter: BudgetMeter,
    ) -> str | None:
        import litellm

        kwargs: dict[str, Any] = dict(request.params)
        if deployment.api_base:
            kwargs["api_base"] = deployment.api_base
        if deployment.no_api_key and not self.secrets:
            kwargs["api_key"] = NO_KEY
        if request.json_schema is not None:
            fmt = response_format(deployment, request.json_schema)
            if fmt is not None:
                kwargs["response_format"] = fmt
        attempts = 0
        while True:
            attempts += 1
            try:
                async with throttle.semaphore:
                    await throttle.pace()
                    # Budgets are checked when a call really starts, not when queued; a
                    # re-ask is a call of its own, a retry of a failed attempt is not.
                    if attempts == 1 and not await meter.start():
                        raise OverBudget
                    usage[3] += 1
                    if usage[4] is None:
                        usage[4] = time.monotonic()
                    response = await litellm.acompletion(
                        model=request.model,
                        messages=list(messages),
                        timeout=deployment.timeout_s,
                        max_retries=0,
                        num_retries=0,
                        **kwargs,
                    )
            except OverBudget:
                raise
            except Exception as exc:
                if attempts < deployment.max_attempts and retryable(exc):
                    cap = min(
                        deployment.backoff_max_s, deployment.backoff_base_s * 2 ** (attempts - 1)
                    )
                    await asyncio.sleep(random.uniform(0, cap))
                    continue
                raise CallFailure(type(exc).__name__, error_summary(exc, self.secrets),
                               attempts) from None  # fmt: skip
            tokens_in, tokens_out = usage_of(response)
            hidden = getattr(response, "_hidden_params", None) or {}
            cost = hidden.get("response_cost")  # litellm priced it already
            if cost is None:
                cost = price(request.model, tokens_in, tokens_out) or 0.0
            usage[0] += tokens_in
            usage[1] += tokens_out
            usage[2] += cost
            await meter.spend(tokens_in + tokens_out, cost)
            choice = response.choices[0]
            usage[5] = getattr(choice, "finish_reason", None)
            usage[6] = getattr(choice.message, "refusal", None)
            # A model (or proxy) echoing a credential must not carry it into cache or log.
            return scrub(choice.message.content, self.secrets)
