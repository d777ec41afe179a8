CREATE TABLE IF NOT EXISTS pipeline_runs (
    run_id VARCHAR NOT NULL,
    asset_key VARCHAR NOT NULL,
    partition_key VARCHAR,
    rows_written BIGINT,
    code_version VARCHAR,
    finished_at TIMESTAMP DEFAULT current_timestamp
);
