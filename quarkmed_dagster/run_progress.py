"""Where a Dagster run is, from its events: steps done / total, the stage running now, and
one line per finished step with the rows it wrote. Pure (fed plain event tuples), so the
main job's console and its tests share it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

ROW_COUNT = "dagster/row_count"


@dataclass
class RunProgress:
    """Progress of one run of ``job`` over ``steps`` (its step keys)."""

    job: str
    steps: Sequence[str]
    clock: Callable[[], float] = time.monotonic
    done: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    running: dict[str, float] = field(default_factory=dict)  # step -> start time
    rows: dict[str, int] = field(default_factory=dict)  # step -> rows written

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def finished(self) -> int:
        return len(self.done | self.failed)

    def stage(self) -> str:
        """The steps running now (or 'waiting' between steps)."""
        return ", ".join(sorted(self.running)) or "waiting"

    def describe(self) -> str:
        return f"{self.job} · step {self.finished}/{self.total} · {self.stage()}"

    started: float | None = None

    def summary(self, ok: bool) -> str:
        took = f", {self.clock() - self.started:.0f} s" if self.started is not None else ""
        failed = f", FAILED: {', '.join(sorted(self.failed))}" if self.failed else ""
        return (
            f"{self.job}: {'done' if ok else 'FAILED'}, {self.finished}/{self.total} steps, "
            f"{sum(self.rows.values())} rows written{took}{failed}"
        )

    def on_event(self, step: str | None, kind: str, metadata: dict) -> str | None:
        """Take one event; returns a line to print when a step or the run finished."""
        if step is None:
            if kind == "RUN_START":
                self.started = self.clock()
            if kind in ("RUN_SUCCESS", "RUN_FAILURE"):
                return self.summary(kind == "RUN_SUCCESS")
            return None
        if kind == "STEP_START":
            self.running[step] = self.clock()
        elif kind == "ASSET_MATERIALIZATION" and ROW_COUNT in metadata:
            self.rows[step] = self.rows.get(step, 0) + int(metadata[ROW_COUNT])
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            started = self.running.pop(step, None)
            (self.done if kind != "STEP_FAILURE" else self.failed).add(step)
            took = f", {self.clock() - started:.1f} s" if started is not None else ""
            rows = f", {self.rows[step]} rows" if step in self.rows else ""
            mark = {"STEP_SUCCESS": "done", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}
            return f"  [{self.finished}/{self.total}] {step}: {mark[kind]}{rows}{took}"
        return None
