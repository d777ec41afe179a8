CREATE TABLE IF NOT EXISTS review_queue (
    query_id VARCHAR NOT NULL,
    rubric_set_version VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    details JSON,
    created_at TIMESTAMP DEFAULT current_timestamp
);
