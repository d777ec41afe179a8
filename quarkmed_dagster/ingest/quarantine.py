"""Quarantine rows: a rejected input row with its file, row number, raw content and reason.

The raw content is scrubbed of personal data before it is stored, like everything else.
"""

from __future__ import annotations

from collections import Counter

from quarkmed_dagster.ingest.pii import scrub
from quarkmed_dagster.llm.types import stable_hash


def quarantine_row(
    stage: str,
    batch_id: str,
    source_file: str,
    row_number: int,
    raw: str,
    reason: str,
    pii_counts: Counter[str] | None = None,
) -> dict:
    """One row of the ``quarantine`` table (QUARANTINE_SCHEMA); the id is a content hash."""
    return {
        "quarantine_id": stable_hash([batch_id, row_number, reason, raw]),
        "stage": stage,
        "batch_id": batch_id,
        "source_file": source_file,
        "row_number": row_number,
        "raw_content": scrub(raw, pii_counts),
        "reason": reason,
    }
