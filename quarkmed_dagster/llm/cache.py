"""Content-addressed, persistent model-call cache (SQLite in WAL mode) and call-log journal.

Keyed by ``CallRequest.cache_key`` (model, messages, parameters, prompt version, sample
index, schema). Each finished call is committed before the gateway counts it as finished
(``commit``: its cache entry and its call-log row in one transaction; the gateway groups
the calls that finish together into one transaction), so a killed run loses no finished
call; several processes (Dagster's multiprocess executor, gateway workers) share the file.
Only successful calls are cached: a failure is retried on the next run, but its log row
is journaled too. The ``call_log`` journal holds rows (JSON) until the gateway has loaded
them into the warehouse's ``llm_calls`` table (``log_batch`` / ``drop_log``). Nothing here
ever holds an API key: requests carry none, outputs and errors are scrubbed before.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quarkmed_dagster.llm.types import CallResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    cache_key TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    model TEXT NOT NULL,
    text TEXT,
    parsed TEXT,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    latency_s REAL NOT NULL,
    attempts INTEGER NOT NULL,
    created_at REAL NOT NULL
)
"""
_LOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS call_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    row TEXT NOT NULL
)
"""
_COLUMNS = "cache_key, role, model, text, parsed, tokens_in, tokens_out, cost_usd, latency_s"
_CHUNK = 500


class CallCache:
    """Thread-safe; one connection per instance, serialised by a lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._con.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed call survives a process crash (not a power cut).
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.execute(_SCHEMA)
        self._con.execute(_LOG_SCHEMA)
        self._con.commit()

    def get_many(self, keys: Iterable[str]) -> dict[str, CallResult]:
        """Stored results for the keys that are cached, as status ``cached`` at zero cost."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, CallResult] = {}
        with self._lock:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._con.execute(
                    f"SELECT {_COLUMNS} FROM calls WHERE cache_key IN ({marks})", chunk
                ).fetchall()
                for row in rows:
                    found[row[0]] = _cached_result(row)
        return found

    def put(self, result: CallResult) -> None:
        """Commit one successful call now (crash-safe once this returns)."""
        self.commit([result], [])

    def commit(self, results: Iterable[CallResult], log_rows: Iterable[str] = ()) -> None:
        """One transaction: the successful ``results`` and the journal's ``log_rows`` (JSON)."""
        now = time.time()
        rows = [_row(r, now) for r in results if r.status == "ok"]
        logs = [(row,) for row in log_rows]
        if not rows and not logs:
            return
        with self._lock, self._con:  # commits on exit, rolls back on error
            if rows:
                self._con.executemany(
                    "INSERT OR REPLACE INTO calls VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows
                )
            if logs:
                self._con.executemany("INSERT INTO call_log (row) VALUES (?)", logs)

    def log_batch(self, limit: int = 50_000) -> list[tuple[int, str]]:
        """The oldest journaled call-log rows, as (sequence number, JSON)."""
        with self._lock:
            return self._con.execute(
                "SELECT seq, row FROM call_log ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()

    def drop_log(self, upto_seq: int) -> None:
        """Forget journal rows up to ``upto_seq`` (loaded into the warehouse)."""
        with self._lock, self._con:
            self._con.execute("DELETE FROM call_log WHERE seq <= ?", (upto_seq,))

    def count(self) -> int:
        with self._lock:
            return int(self._con.execute("SELECT count(*) FROM calls").fetchone()[0])

    def stored(self, key: str) -> dict[str, Any] | None:
        """Raw stored row (original tokens and cost), for inspection and tests."""
        with self._lock:
            cur = self._con.execute("SELECT * FROM calls WHERE cache_key = ?", (key,))
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
        return dict(zip(names, row, strict=True)) if row else None

    def close(self) -> None:
        with self._lock:
            self._con.close()


def _row(result: CallResult, now: float) -> tuple[Any, ...]:
    parsed = None if result.parsed is None else json.dumps(result.parsed, ensure_ascii=False)
    return (
        result.cache_key,
        result.role,
        result.model,
        result.text,
        parsed,
        result.tokens_in,
        result.tokens_out,
        result.cost_usd,
        result.latency_s,
        result.attempts,
        now,
    )


def _cached_result(row: tuple[Any, ...]) -> CallResult:
    key, role, model, text, parsed, tokens_in, tokens_out, _cost, _latency = row
    return CallResult(
        cache_key=key,
        role=role,
        model=model,
        status="cached",
        text=text,
        parsed=None if parsed is None else json.loads(parsed),
        tokens_in=int(tokens_in),
        tokens_out=int(tokens_out),
        cost_usd=0.0,  # a cache hit costs nothing
        latency_s=0.0,
        attempts=0,
    )
