UPDATE ingest_batches
SET rows_read = ?, queries = ?, quarantined = ?, duplicates = ?, pii_counts = ?,
    ingested_at = current_timestamp
WHERE batch_id = ?
