"""The DuckDB store.

Writes replace a whole batch (all rows sharing a key value) inside one transaction, so a
rerun of the same batch never duplicates rows and a crash mid-write leaves the old batch.
Only one writer connection is opened at a time per process (DuckDB allows one writer per
file); analysts open the file or its snapshot read-only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

from quarkmed_dagster.settings import SQL_DIR

_WRITE_LOCK = threading.Lock()
LOCK_TIMEOUT_S = 300.0


@lru_cache(maxsize=256)
def load_sql(name: str) -> str:
    """Text of ``sql/<name>.sql`` (one statement per file)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def create_statement_names() -> list[str]:
    """All ``sql/create_*.sql`` files, tables before views (views may reference tables), with
    the ``sql/migrate_*.sql`` files (idempotent, e.g. ``ADD COLUMN IF NOT EXISTS``, bringing
    a warehouse created by older code up to the current tables) between them."""
    names = sorted(p.stem for p in SQL_DIR.glob("create_*.sql"))
    migrations = sorted(p.stem for p in SQL_DIR.glob("migrate_*.sql"))
    return (
        [n for n in names if not n.startswith("create_view_")]
        + migrations
        + [n for n in names if n.startswith("create_view_")]
    )


def _connect_when_free(
    path: Path, read_only: bool, timeout_s: float = LOCK_TIMEOUT_S
) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting while another process (a parallel Dagster step) holds it."""
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


class Warehouse:
    """A DuckDB file with the project's schema."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect_when_free(self.path, read_only)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The serialised writer connection for this process."""
        with _WRITE_LOCK, self.connect() as con:
            yield con

    def ensure_schema(self) -> None:
        with self.writer() as con:
            for name in create_statement_names():
                con.execute(load_sql(name))

    def replace_rows(
        self,
        table: str,
        frame: pl.DataFrame,
        key_columns: Sequence[str],
        key_values: Sequence[object],
    ) -> int:
        """Atomically replace the rows of ``table`` whose ``key_columns`` equal ``key_values``.

        Columns are matched by name, so a frame may list them in any order.
        """
        if len(key_columns) != len(key_values):
            raise ValueError("key_columns and key_values differ in length")
        where = " AND ".join(f'"{c}" = ?' for c in key_columns) or "TRUE"
        return self.replace_selected(
            table, frame, f'DELETE FROM "{table}" WHERE {where}', key_values
        )

    def replace_selected(
        self,
        table: str,
        frame: pl.DataFrame,
        delete_sql: str,
        params: Sequence[object] = (),
    ) -> int:
        """Atomically run ``delete_sql`` (a DELETE on ``table``) and insert ``frame``."""
        with self.writer() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(delete_sql, list(params))
                if frame.height:
                    con.register("incoming_rows", frame.to_arrow())
                    cols = ", ".join(f'"{c}"' for c in frame.columns)
                    con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM incoming_rows')
                    con.unregister("incoming_rows")
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return frame.height

    def replace_tables(self, frames: Mapping[str, pl.DataFrame]) -> None:
        """Atomically replace the whole content of each table with its frame (an empty
        frame empties the table): readers see all the old rows or all the new ones."""
        with self.writer() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                for table, frame in frames.items():
                    con.execute(f'DELETE FROM "{table}"')
                    if frame.height:
                        con.register("incoming_rows", frame.to_arrow())
                        cols = ", ".join(f'"{c}"' for c in frame.columns)
                        con.execute(
                            f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM incoming_rows'
                        )
                        con.unregister("incoming_rows")
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise

    def upsert_rows(self, table: str, frame: pl.DataFrame, id_columns: Sequence[str]) -> int:
        """Insert rows, replacing any existing rows with the same ids (idempotent)."""
        if not frame.height:
            return 0
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        match = " AND ".join(f't."{c}" = s."{c}"' for c in id_columns)
        with self.writer() as con:
            con.register("incoming_rows", frame.to_arrow())
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(
                    f'DELETE FROM "{table}" t WHERE EXISTS '
                    f"(SELECT 1 FROM incoming_rows s WHERE {match})"
                )
                con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM incoming_rows')
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister("incoming_rows")
        return frame.height

    def read(self, sql: str, params: Sequence[object] | None = None) -> pl.DataFrame:
        with self.connect() as con:
            return con.execute(sql, list(params or [])).pl()

    def read_table(self, table: str) -> pl.DataFrame:
        return self.read(f'SELECT * FROM "{table}"')

    def count(self, table: str) -> int:
        with self.connect() as con:
            return int(con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    def publish_snapshot(self, target: Path) -> Path:
        """Write a consistent copy of the warehouse to ``target`` for read-only analysts.

        The copy is made by DuckDB itself (``COPY FROM DATABASE`` into a fresh file) from
        this process's writer connection: DuckDB's file lock keeps every other process
        (a parallel Dagster step) from writing meanwhile, and the copy reads one transaction's
        state, WAL included. The file is then renamed over ``target`` in one step, so an
        analyst opens either the previous snapshot or the new one, never a partial file.
        """
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.tmp")
        for stale in (tmp, tmp.with_name(f"{tmp.name}.wal")):  # left by a crashed copy
            stale.unlink(missing_ok=True)
        with self.writer() as con:
            source = con.execute("SELECT current_database()").fetchone()[0]
            quoted = str(tmp).replace("'", "''")  # ATTACH takes no parameters
            con.execute(f"ATTACH '{quoted}' AS snapshot_target")
            try:
                con.execute(f'COPY FROM DATABASE "{source}" TO snapshot_target')
            finally:
                con.execute("DETACH snapshot_target")
        tmp.replace(target)
        return target
