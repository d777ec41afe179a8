CREATE TABLE IF NOT EXISTS candidate_responses (
    response_id VARCHAR PRIMARY KEY,
    query_id VARCHAR NOT NULL,
    candidate_model VARCHAR NOT NULL,
    is_baseline BOOLEAN NOT NULL,
    response_text VARCHAR,
    status VARCHAR NOT NULL,
    call_key VARCHAR,
    created_at TIMESTAMP DEFAULT current_timestamp
);
