CREATE TABLE IF NOT EXISTS model_evaluations (
    run_id VARCHAR NOT NULL,
    response_id VARCHAR NOT NULL,
    query_id VARCHAR NOT NULL,
    candidate_model VARCHAR NOT NULL,
    score DOUBLE,
    rubric_set_version VARCHAR,
    corpus_version VARCHAR,
    judge_models VARCHAR,
    judging_version VARCHAR NOT NULL,
    evaluated_at TIMESTAMP DEFAULT current_timestamp
);
