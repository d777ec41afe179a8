CREATE TABLE IF NOT EXISTS leaderboard (
    candidate_model VARCHAR NOT NULL,
    is_baseline BOOLEAN NOT NULL,
    category VARCHAR NOT NULL,
    n_queries INTEGER NOT NULL,
    n_scored INTEGER,
    score DOUBLE,
    ci_low DOUBLE,
    ci_high DOUBLE,
    coverage DOUBLE,
    rubric_set_version VARCHAR,
    corpus_version VARCHAR,
    n_common INTEGER,
    common_score DOUBLE,
    common_ci_low DOUBLE,
    common_ci_high DOUBLE
);
