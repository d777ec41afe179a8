CREATE TABLE IF NOT EXISTS eval_requests (
    run_id VARCHAR PRIMARY KEY,
    candidate_model VARCHAR NOT NULL,
    api_base VARCHAR,
    judges_profile VARCHAR NOT NULL,
    n_queries INTEGER NOT NULL,
    n_answered INTEGER NOT NULL,
    requested_at TIMESTAMP DEFAULT current_timestamp
);
