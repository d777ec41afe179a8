CREATE TABLE IF NOT EXISTS healthbench_example_scores (
    response_id VARCHAR NOT NULL,
    query_id VARCHAR NOT NULL,
    candidate_model VARCHAR NOT NULL,
    is_baseline BOOLEAN NOT NULL,
    n_criteria INTEGER NOT NULL,
    n_judged INTEGER NOT NULL,
    score DOUBLE
);
