"""Per-stage measurement for ``bench_scale.py``: wall and CPU time, model-server busy time,
model calls and tokens, peak memory, and the cost at public prices.

Orchestration overhead = the share of a stage's wall time in which the model server had no
request in flight (``/stats`` of the local server: the union of in-flight intervals). It
counts everything the pipeline does besides waiting for models: Dagster, warehouse reads and
writes, payload building, parsing, clustering embeddings, GX checks.
"""

from __future__ import annotations

import json
import resource
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from quarkmed_dagster.llm.budget import price

PRICED_MODELS = ("gpt-4.1", "claude-sonnet-4-5")


@dataclass(frozen=True)
class Figures:
    stage: str
    queries: int
    wall_s: float
    cpu_s: float
    busy_s: float = 0.0
    served_s: float = 0.0
    requests: int = 0  # requests the server saw (retries and re-asks included)
    calls: int = 0  # calls the pipeline logged
    failed: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    peak_rss_mb: float = 0.0
    extrapolated: bool = False

    @property
    def overhead(self) -> float | None:
        if not self.requests or self.wall_s <= 0:
            return None
        return max(0.0, 1.0 - self.busy_s / self.wall_s)

    @property
    def in_flight(self) -> float:
        """Mean requests in flight while the server was busy."""
        return self.served_s / self.busy_s if self.busy_s else 0.0

    def cost(self, model: str) -> float:
        return price(model, self.tokens_in, self.tokens_out) or 0.0

    def scaled(self, factor: float) -> Figures:
        """Linear extrapolation in the number of queries (memory is not extrapolated)."""
        ints = ("requests", "calls", "failed", "tokens_in", "tokens_out")
        floats = ("wall_s", "cpu_s", "busy_s", "served_s")
        return replace(
            self,
            queries=round(self.queries * factor),
            extrapolated=True,
            peak_rss_mb=0.0,
            **{k: round(getattr(self, k) * factor) for k in ints},
            **{k: getattr(self, k) * factor for k in floats},
        )


def server_stats(port: int | None) -> dict[str, float]:
    if port is None:
        return {"requests": 0, "busy_s": 0.0, "served_s": 0.0}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as reply:
        return json.loads(reply.read())


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets the process's peak RSS (VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass  # then the figure is the process's peak so far


def peak_rss_mb() -> float:
    """VmHWM since the last reset. getrusage's ru_maxrss is not used: the kernel folds the
    peak into it whenever a thread exits, and clear_refs does not reset that part, so a
    stage could report an earlier stage's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(
    stage: str,
    queries: int,
    work: Callable[[], Any],
    port: int | None = None,
    calls: Callable[[], dict[str, int]] | None = None,
) -> tuple[Figures, Any]:
    """Run ``work`` and measure it; ``calls()`` returns calls/failed/tokens_in/tokens_out."""
    before = server_stats(port)
    reset_peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    out = work()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = server_stats(port)
    counted = calls() if calls else {}
    figures = Figures(
        stage=stage,
        queries=queries,
        wall_s=wall,
        cpu_s=cpu,
        busy_s=after["busy_s"] - before["busy_s"],
        served_s=after["served_s"] - before["served_s"],
        requests=int(after["requests"] - before["requests"]),
        peak_rss_mb=peak_rss_mb(),
        **counted,
    )
    return figures, out


HEADER = (
    f"{'stage':<26}{'queries':>8}{'wall s':>10}{'cpu s':>9}{'calls':>11}{'tokens in':>15}"
    f"{'tokens out':>14}{'busy s':>10}{'overhead':>9}{'in-flt':>7}{'RSS MB':>8}"
    + "".join(f"{'$ ' + m:>20}" for m in PRICED_MODELS)
)


def row(f: Figures) -> str:
    overhead = f"{f.overhead:.1%}" if f.overhead is not None else "-"
    rss = f"{f.peak_rss_mb:.0f}" if f.peak_rss_mb else "-"
    costs = "".join(f"{f.cost(m):>20,.2f}" for m in PRICED_MODELS)
    return (
        f"{f.stage:<26}{f.queries:>8,}{f.wall_s:>10.1f}{f.cpu_s:>9.1f}{f.calls:>11,}"
        f"{f.tokens_in:>15,}{f.tokens_out:>14,}{f.busy_s:>10.1f}{overhead:>9}"
        f"{f.in_flight:>7.0f}{rss:>8}{costs}"
    )


COMPUTE_HEADER = f"{'step':<32}{'rows':>8}{'wall s':>10}{'cpu s':>9}{'peak RSS MB':>13}"


def compute_row(f: Figures) -> str:
    rss = f"{f.peak_rss_mb:.0f}" if f.peak_rss_mb else "-"
    return f"{f.stage:<32}{f.queries:>8,}{f.wall_s:>10.1f}{f.cpu_s:>9.1f}{rss:>13}"


def total(stage: str, parts: list[Figures]) -> Figures:
    keys = ("wall_s", "cpu_s", "busy_s", "served_s", "requests", "calls", "failed",
            "tokens_in", "tokens_out")  # fmt: skip
    sums = {k: sum(getattr(p, k) for p in parts) for k in keys}
    return Figures(
        stage=stage,
        queries=max(p.queries for p in parts),
        peak_rss_mb=max(p.peak_rss_mb for p in parts),
        extrapolated=any(p.extrapolated for p in parts),
        **sums,
    )
