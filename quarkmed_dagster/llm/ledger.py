"""What a run has spent of its budget, shared by every gateway and process of the run.

One row per run id (the Dagster run id, or the process's own id outside Dagster) in the
call cache's SQLite file, beside the cached calls: the rubric stage's many ``run()`` calls,
the other assets' gateways and the processes of one Dagster run (multiprocess executor,
gateway worker shards) all draw on it. A call is reserved before it starts (atomically, so
``max_calls`` is never exceeded); its tokens and cost are added when it returns. Without a
cache file the ledger lives in this process's memory.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS run_budgets (
    run_id TEXT PRIMARY KEY,
    calls INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    stopped TEXT,
    updated_at REAL NOT NULL
)
"""
_ADD = """
INSERT INTO run_budgets VALUES (?, ?, ?, ?, NULL, ?)
ON CONFLICT (run_id) DO UPDATE SET calls = calls + excluded.calls,
    tokens = tokens + excluded.tokens, cost_usd = cost_usd + excluded.cost_usd,
    updated_at = excluded.updated_at
"""


@dataclass(frozen=True)
class Spent:
    calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    stopped: str | None = None  # the limit that stopped the run, recorded once


LimitCheck = Callable[[Spent], str | None]


@dataclass(frozen=True)
class Reservation:
    granted: bool
    stopped: str | None = None
    first_stop: bool = False  # this reservation recorded the stop: its caller says so


class SpendLedger:
    """Thread-safe; one connection per process and file (``ledger_for``)."""

    def __init__(self, path: Path | str | None) -> None:
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        target = ":memory:" if path is None else str(path)
        self._lock = threading.Lock()
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE takes the write lock
        # before reading, so two processes cannot both reserve the last call).
        self._con = sqlite3.connect(
            target, timeout=60, check_same_thread=False, isolation_level=None
        )
        if path is not None:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.execute(_SCHEMA)

    def spent(self, run_id: str) -> Spent:
        with self._lock:
            row = self._con.execute(
                "SELECT calls, tokens, cost_usd, stopped FROM run_budgets WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        return Spent() if row is None else Spent(int(row[0]), int(row[1]), float(row[2]), row[3])

    def reserve(self, run_id: str, limit_reached: LimitCheck) -> Reservation:
        """Count one call against the run unless ``limit_reached(spent)`` names a limit."""
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                row = self._con.execute(
                    "SELECT calls, tokens, cost_usd, stopped FROM run_budgets WHERE run_id = ?",
                    (run_id,),
                ).fetchone()
                spent = Spent() if row is None else Spent(row[0], row[1], row[2], row[3])
                reason = limit_reached(spent)
                if reason is None:
                    self._con.execute(_ADD, (run_id, 1, 0, 0.0, time.time()))
                    outcome = Reservation(True)
                elif spent.stopped is None:
                    self._con.execute(_ADD, (run_id, 0, 0, 0.0, time.time()))
                    self._con.execute(
                        "UPDATE run_budgets SET stopped = ? WHERE run_id = ?", (reason, run_id)
                    )
                    outcome = Reservation(False, reason, first_stop=True)
                else:
                    outcome = Reservation(False, reason)
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
        return outcome

    def spend(self, run_id: str, tokens: int, cost_usd: float) -> None:
        """Add what a finished call used (its reservation already counted the call)."""
        with self._lock:
            self._con.execute(_ADD, (run_id, 0, tokens, cost_usd, time.time()))


_ledgers: dict[tuple[int, str | None], SpendLedger] = {}
_ledgers_lock = threading.Lock()


def ledger_for(path: Path | str | None) -> SpendLedger:
    """The ledger in the cache file at ``path`` (None: this process's memory)."""
    key = (os.getpid(), None if path is None else str(Path(path).resolve()))
    with _ledgers_lock:
        ledger = _ledgers.get(key)
        if ledger is None:
            ledger = _ledgers[key] = SpendLedger(path)
        return ledger
