"""Quarantine rows: a rejected input row with its file, row number, raw content and reason.

The raw content (and the reason, which may quote it) is scrubbed of personal data before
it is stored, like everything else, and only then shortened: a cut never splits an email or
phone number out of the scrubber's reach.
"""

from __future__ import annotations

from collections import Counter

from quarkmed_dagster.ingest.pii import scrub
from quarkmed_dagster.llm.types import stable_hash

RAW_KEEP = 2000  # characters of a rejected row kept in quarantine


def quarantine_row(
    stage: str,
    batch_id: str,
    source_file: str,
    row_number: int,
    raw: str,
    reason: str,
    pii_counts: Counter[str] | None = None,
) -> dict:
    """One row of the ``quarantine`` table (QUARANTINE_SCHEMA); the id is a content hash.

    ``raw``: the whole row as read; it is scrubbed, then cut to ``RAW_KEEP`` characters.
    ``reason`` is scrubbed too (it may quote a field, e.g. "duplicate id 'jane@...'"); its
    replacements are not counted again: they repeat data of the raw row."""
    raw_content = scrub(raw, pii_counts)[:RAW_KEEP]
    reason = scrub(reason)
    return {
        "quarantine_id": stable_hash([batch_id, row_number, reason, raw_content]),
        "stage": stage,
        "batch_id": batch_id,
        "source_file": source_file,
        "row_number": row_number,
        "raw_content": raw_content,
        "reason": reason,
    }
