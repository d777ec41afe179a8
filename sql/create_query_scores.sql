CREATE TABLE IF NOT EXISTS query_scores (
    response_id VARCHAR NOT NULL,
    query_id VARCHAR NOT NULL,
    candidate_model VARCHAR NOT NULL,
    is_baseline BOOLEAN NOT NULL,
    rubric_set_version VARCHAR,
    corpus_version VARCHAR,
    score DOUBLE,
    coverage DOUBLE NOT NULL,
    flagged_low_coverage BOOLEAN NOT NULL,
    truncated BOOLEAN NOT NULL,
    medical_accuracy DOUBLE,
    key_point_coverage DOUBLE,
    risk_interception DOUBLE,
    scored_at TIMESTAMP DEFAULT current_timestamp
);
