"""Incremental dedup: stored signatures give the same decisions as re-hashing every stored
query, and a later batch hashes only its own rows (real DuckDB file)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from quarkmed_dagster.ingest import dedup
from quarkmed_dagster.ingest.pipeline import IngestResult, ingest_file
from quarkmed_dagster.settings import PROJECT_ROOT
from quarkmed_dagster.warehouse import Warehouse
from quarkmed_dagster.warehouse.signatures import StoredSignatures

SAMPLE = PROJECT_ROOT / "data" / "sample" / "queries" / "kqa_sample.jsonl"
THRESHOLD = 0.85


def _rows() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines() if line]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def _batches(tmp_path: Path) -> tuple[Path, Path]:
    """Batch 1: half the sample; batch 2: the other half plus exact and near copies of
    batch 1's questions (as a later intake re-delivers some)."""
    rows = _rows()
    first, rest = rows[:15], rows[15:]
    copies = [{**r, "Question": r["Question"].upper()} for r in first[:4]]
    copies += [{**r, "Question": r["Question"] + " Thanks."} for r in first[4:10]]
    return _write(tmp_path / "b1.jsonl", first), _write(tmp_path / "b2.jsonl", rest + copies)


def _store(warehouse: Warehouse, result: IngestResult) -> None:
    warehouse.replace_rows("queries", result.queries, ["batch_id"], [result.batch_id])
    StoredSignatures(warehouse, result.batch_id).store_batch(result.signatures, THRESHOLD)


def _stored_texts(result: IngestResult) -> list[tuple[str, str]]:
    return [
        (qid, "\n".join(t["content"] for t in json.loads(turns)))
        for qid, turns in zip(result.queries["query_id"], result.queries["turns"], strict=True)
    ]


class _EveryStoredQuery:
    """The algorithm before stored signatures: every stored query re-hashed and indexed."""

    def __init__(self, texts: list[tuple[str, str]]) -> None:
        self.texts = texts

    def matching(self, signatures: object, threshold: float) -> list[dedup.Signature]:
        return [dedup.signature_of(qid, text) for qid, text in self.texts]


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop("ingested_at", strict=False).sort(frame.columns[0])


def test_stored_signatures_decide_like_a_full_rehash(tmp_path: Path, warehouse: Warehouse):
    b1, b2 = _batches(tmp_path)
    first = ingest_file(b1, "b1", "kqa")
    _store(warehouse, first)
    incremental = ingest_file(b2, "b2", "kqa", known=StoredSignatures(warehouse, "b2"))
    rehashed = ingest_file(b2, "b2", "kqa", known=_EveryStoredQuery(_stored_texts(first)))
    assert incremental.duplicates.height >= 5  # exact and near copies of batch 1 found
    assert set(incremental.duplicates["method"]) == {"exact", "near"}
    for table in ("queries", "duplicates"):
        assert _comparable(getattr(incremental, table)).equals(
            _comparable(getattr(rehashed, table))
        )


def test_a_second_batch_hashes_only_its_own_rows(
    tmp_path: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
):
    b1, b2 = _batches(tmp_path)
    _store(warehouse, ingest_file(b1, "b1", "kqa"))
    hashed: list[str] = []
    original = dedup.signature_of

    def counting(query_id: str, text: str) -> dedup.Signature:
        hashed.append(query_id)
        return original(query_id, text)

    monkeypatch.setattr("quarkmed_dagster.ingest.pipeline.signature_of", counting)
    monkeypatch.setattr("quarkmed_dagster.warehouse.signatures.signature_of", counting)
    known = StoredSignatures(warehouse, "b2")
    assert known.backfill(THRESHOLD) == 0  # batch 1 stored its signatures
    second = ingest_file(b2, "b2", "kqa", known=known)
    assert len(hashed) == second.rows_read - second.quarantine.height  # its rows, no more
    stored_ids = set(warehouse.read_table("queries")["query_id"])
    assert not stored_ids & set(hashed)


def test_queries_stored_without_signatures_are_backfilled_once(
    tmp_path: Path, warehouse: Warehouse
):
    b1, _ = _batches(tmp_path)
    first = ingest_file(b1, "b1", "kqa")
    warehouse.replace_rows("queries", first.queries, ["batch_id"], ["b1"])  # older code
    known = StoredSignatures(warehouse, "b2")
    assert known.backfill(THRESHOLD) == first.queries.height
    assert known.backfill(THRESHOLD) == 0
    stored = warehouse.read_table("query_signatures").sort("query_id")
    expected = sorted(first.signatures, key=lambda s: s.query_id)
    assert stored["dedup_key"].to_list() == [s.key for s in expected]
    assert stored["minhash"].to_list() == [s.hashvalues.tolist() for s in expected]
    assert set(stored["batch_id"]) == {"b1"}
