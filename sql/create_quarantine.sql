CREATE TABLE IF NOT EXISTS quarantine (
    quarantine_id VARCHAR PRIMARY KEY,
    stage VARCHAR NOT NULL,
    batch_id VARCHAR NOT NULL,
    source_file VARCHAR,
    row_number BIGINT,
    raw_content VARCHAR,
    reason VARCHAR NOT NULL,
    quarantined_at TIMESTAMP DEFAULT current_timestamp
);
