CREATE TABLE IF NOT EXISTS leaderboard_dimensions (
    candidate_model VARCHAR NOT NULL,
    is_baseline BOOLEAN NOT NULL,
    category VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    n_queries INTEGER NOT NULL,
    n_scored INTEGER NOT NULL,
    score DOUBLE,
    ci_low DOUBLE,
    ci_high DOUBLE,
    coverage DOUBLE,
    query_set_version VARCHAR,
    rubric_set_version VARCHAR,
    corpus_version VARCHAR,
    candidate_prompt_version VARCHAR,
    judge_prompt_version VARCHAR
);
