"""Look for a secret's trace in everything a run leaves behind.

Raw bytes are searched in every file (SQLite event logs, caches, logs, reports). DuckDB
compresses strings on disk, so DuckDB files are also searched column by column with SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

DUCKDB_SUFFIXES = (".duckdb",)


@dataclass(frozen=True)
class SecretHit:
    path: Path
    where: str


def _file_contains(path: Path, needle: bytes, chunk: int = 1 << 20) -> bool:
    overlap = len(needle) - 1
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            if needle in tail + block:
                return True
            tail = block[-overlap:] if overlap else b""
    return False


def _duckdb_hits(path: Path, secret: str) -> list[SecretHit]:
    hits: list[SecretHit] = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type NOT IN ('BOOLEAN','INTEGER','BIGINT','DOUBLE','FLOAT','DATE',"
            "'TIMESTAMP','TIMESTAMP WITH TIME ZONE','HUGEINT','SMALLINT','TINYINT')"
        ).fetchall()
        for table, column in columns:
            found = con.execute(
                f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) LIKE ?',
                [f"%{secret}%"],
            ).fetchone()[0]
            if found:
                hits.append(SecretHit(path, f"{table}.{column}"))
    finally:
        con.close()
    return hits


def scan_for_secret(roots: list[Path], secret: str) -> list[SecretHit]:
    """Every place under ``roots`` where ``secret`` appears (empty list = clean)."""
    if len(secret) < 8:
        raise ValueError("use a distinctive secret of at least 8 characters")
    needle = secret.encode("utf-8")
    hits: list[SecretHit] = []
    for root in roots:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            if _file_contains(path, needle):
                hits.append(SecretHit(path, "raw bytes"))
            if path.suffix in DUCKDB_SUFFIXES:
                hits.extend(_duckdb_hits(path, secret))
    return hits
