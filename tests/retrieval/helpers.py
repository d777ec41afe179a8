"""Test data for retrieval: real MedQuAD records and a minimal `queries` table."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl

from quarkmed_dagster.retrieval import Document, build_corpus
from quarkmed_dagster.retrieval.documents import medquad_documents, read_jsonl
from quarkmed_dagster.warehouse import Warehouse

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "data" / "sample" / "corpus"


def sample_records(n: int) -> list[dict]:
    records = read_jsonl(SAMPLE_CORPUS / "medquad_subset.jsonl.gz")
    return [r for _, r in zip(range(n), records, strict=False)]


def sample_documents(n: int) -> list[Document]:
    return list(medquad_documents(iter(sample_records(n))))


def sample_corpus(n: int = 300):  # type: ignore[no-untyped-def]
    return build_corpus(sample_documents(n))


def insert_queries(
    store: Warehouse, sessions: dict[str, list[dict[str, str]]], struct_turns: bool = False
) -> None:
    """Rows shaped like the ingest stage's `queries` table (turns as JSON text or structs)."""
    rows = []
    for query_id, turns in sessions.items():
        rows.append(
            {
                "query_id": query_id,
                "batch_id": "test-batch",
                "session_id": query_id,
                "turns": turns if struct_turns else json.dumps(turns),
                "n_turns": len(turns),
                "is_multi_turn": len(turns) > 1,
                "final_user_turn": turns[-1]["content"],
                "language": "en",
                "source": "test",
                "source_id": query_id,
                "source_file": "test.jsonl",
                "category": "Clinical Care",
                "category_classifier": "baseline-rules",
                "category_confidence": 0.5,
                "department": "general",
                "difficulty": "medium",
                "tags": "[]",
                "ingested_at": datetime(2026, 1, 1),
            }
        )
    frame = pl.DataFrame(rows)
    with store.writer() as con:
        if struct_turns:  # the ingest DDL stores JSON text; this variant stores structs
            con.execute("DROP TABLE IF EXISTS queries")
        columns = (
            {r[0] for r in con.execute("DESCRIBE queries").fetchall()}
            if _has_queries(con)
            else set()
        )
        if not columns:
            turns_type = "STRUCT(role VARCHAR, content VARCHAR)[]" if struct_turns else "VARCHAR"
            con.execute(
                "CREATE TABLE queries (query_id VARCHAR PRIMARY KEY, batch_id VARCHAR, "
                f"session_id VARCHAR, turns {turns_type}, n_turns INTEGER, is_multi_turn BOOLEAN, "
                "final_user_turn VARCHAR, language VARCHAR, source VARCHAR, source_id VARCHAR, "
                "source_file VARCHAR, category VARCHAR, category_classifier VARCHAR, "
                "category_confidence DOUBLE, department VARCHAR, difficulty VARCHAR, "
                "tags VARCHAR, ingested_at TIMESTAMP)"
            )
            columns = set(frame.columns)
        keep = [c for c in frame.columns if c in columns]
        con.register("incoming", frame.select(keep).to_arrow())
        con.execute(f"INSERT INTO queries BY NAME SELECT {', '.join(keep)} FROM incoming")


def _has_queries(con) -> bool:  # type: ignore[no-untyped-def]
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'queries'"
        ).fetchone()[0]
    )
