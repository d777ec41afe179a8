"""Column types of the ingestion tables (mirrors sql/create_*.sql)."""

from __future__ import annotations

import polars as pl

QUERY_SCHEMA = {
    "query_id": pl.String,
    "batch_id": pl.String,
    "session_id": pl.String,
    "turns": pl.String,
    "n_turns": pl.Int64,
    "is_multi_turn": pl.Boolean,
    "final_user_turn": pl.String,
    "language": pl.String,
    "source": pl.String,
    "source_id": pl.String,
    "source_file": pl.String,
    "category": pl.String,
    "category_classifier": pl.String,
    "category_confidence": pl.Float64,
    "department": pl.String,
    "difficulty": pl.String,
    "tags": pl.String,
    "ingested_at": pl.Datetime("us"),
}
REFERENCE_RUBRIC_SCHEMA = {
    "reference_item_id": pl.String,
    "query_id": pl.String,
    "source": pl.String,
    "criterion": pl.String,
    "points": pl.Float64,
    "kind": pl.String,
    "tags": pl.String,
    "batch_id": pl.String,
}
REFERENCE_ANSWER_SCHEMA = {
    "reference_answer_id": pl.String,
    "query_id": pl.String,
    "source": pl.String,
    "author": pl.String,
    "answer_text": pl.String,
    "batch_id": pl.String,
}
DUPLICATE_SCHEMA = {
    "dropped_query_id": pl.String,
    "surviving_query_id": pl.String,
    "method": pl.String,
    "similarity": pl.Float64,
    "batch_id": pl.String,
    "source_file": pl.String,
    "row_number": pl.Int64,
}
QUARANTINE_SCHEMA = {
    "quarantine_id": pl.String,
    "stage": pl.String,
    "batch_id": pl.String,
    "source_file": pl.String,
    "row_number": pl.Int64,
    "raw_content": pl.String,
    "reason": pl.String,
}
