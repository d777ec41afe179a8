CREATE TABLE IF NOT EXISTS ingest_batches (
    batch_id VARCHAR PRIMARY KEY,
    source_file VARCHAR NOT NULL,
    loader VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    rows_read BIGINT,
    queries BIGINT,
    quarantined BIGINT,
    duplicates BIGINT,
    pii_counts JSON,
    ingested_at TIMESTAMP
);
