"""Batches: each ingested file is registered once under an id derived from its content.

Registering the same content again returns the same batch id, so re-ingesting a file is a
no-op; a changed file becomes a new batch.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from quarkmed_dagster.ingest.loaders import detect_loader
from quarkmed_dagster.settings import Settings
from quarkmed_dagster.warehouse import Warehouse

PARTITIONS_NAME = "query_batches"
QUERY_FILE_SUFFIXES = (".jsonl", ".jsonl.gz", ".csv", ".parquet", ".json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def batch_id_for(path: Path, sha256: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", path.name.split(".")[0].lower()).strip("-")[:40]
    return f"{stem}-{sha256[:10]}"


def query_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name.endswith(QUERY_FILE_SUFFIXES)
    )


def register_batch(warehouse: Warehouse, path: Path, loader: str | None = None) -> str:
    sha256 = file_sha256(path)
    batch_id = batch_id_for(path, sha256)
    known = warehouse.read("SELECT 1 FROM ingest_batches WHERE batch_id = ?", [batch_id])
    if known.is_empty():
        row = pl.DataFrame(
            {
                "batch_id": [batch_id],
                "source_file": [str(path.resolve())],
                "loader": [loader or detect_loader(path)],
                "content_sha256": [sha256],
                "registered_at": [datetime.now(UTC).replace(tzinfo=None)],
            }
        )
        warehouse.upsert_rows("ingest_batches", row, ["batch_id"])
    return batch_id


def batch_source(warehouse: Warehouse, batch_id: str) -> tuple[Path, str]:
    frame = warehouse.read(
        "SELECT source_file, loader FROM ingest_batches WHERE batch_id = ?", [batch_id]
    )
    if frame.is_empty():
        raise KeyError(f"batch {batch_id!r} is not registered (see ingest_batches)")
    return Path(frame.item(0, 0)), frame.item(0, 1)


def register_sample_batches(settings: Settings) -> list[tuple[str, str]]:
    """Register the bundled sample query files; (partitions name, batch id) pairs."""
    warehouse = Warehouse(settings.warehouse)
    warehouse.ensure_schema()
    folder = settings.sample_data_dir / "queries"
    return [(PARTITIONS_NAME, register_batch(warehouse, path)) for path in query_files(folder)]


def discover_batches(paths: list[Path]) -> list[tuple[str, Path, str]]:
    """(batch id, path, loader name) for each query file among ``paths`` (folders expanded).

    Pure: reads the files to hash them, writes nothing; the same content always gives the
    same batch id, so callers can skip batches already registered.
    """
    files: list[Path] = []
    for path in paths:
        files.extend(query_files(path) if path.is_dir() else [path])
    return [(batch_id_for(p, file_sha256(p)), p, detect_loader(p)) for p in files]
