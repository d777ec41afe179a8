CREATE TABLE IF NOT EXISTS duplicates (
    dropped_query_id VARCHAR NOT NULL,
    surviving_query_id VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    similarity DOUBLE NOT NULL,
    batch_id VARCHAR NOT NULL,
    source_file VARCHAR,
    row_number BIGINT
);
