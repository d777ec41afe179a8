"""Scales shared by every chart: rounded axis ticks, and one colour per model for a whole
report (a model has the same colour in the leaderboard, the distributions, the dimensions,
the rewards and the cost charts)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
    "#7b4173", "#3182bd", "#e6550d",
)  # fmt: skip
NEUTRAL = "#4c78a8"  # bars that are not a model (tiers, coverage strata)
BASELINE_SUFFIX = " (baseline)"


def nice_step(span: float, target: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^k) giving about ``target`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(target, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999)


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (the first <= lo, the last >= hi)."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + 1.0
    step = nice_step(hi - lo, target)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def tick_text(value: float, ticks: Iterable[float]) -> str:
    """``value`` with the decimals the ticks' step needs (step 0.25 -> 2, 5 -> 0)."""
    values = sorted(set(ticks))
    step = min((b - a for a, b in itertools.pairwise(values)), default=1.0)
    decimals = next((k for k in range(7) if abs(step * 10**k - round(step * 10**k)) < 1e-6), 6)
    text = f"{value:.{decimals}f}"
    return "0" if text.lstrip("-").strip("0.") == "" else text


class ModelColours:
    """One colour per model across the charts of one report. The models given up front take
    the palette in order (so candidates, given first, keep the most distinct colours); a name
    seen later takes the next free colour on first use. A label "<model> (baseline)" has its
    model's colour."""

    def __init__(self, *groups: Iterable[str]) -> None:
        self._colours: dict[str, str] = {}
        for group in groups:
            for model in sorted(set(group)):
                self.of(model)

    def of(self, model: str) -> str:
        key = model.removesuffix(BASELINE_SUFFIX)
        if key not in self._colours:
            self._colours[key] = PALETTE[len(self._colours) % len(PALETTE)]
        return self._colours[key]
