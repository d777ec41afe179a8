CREATE TABLE IF NOT EXISTS healthbench_scores (
    candidate_model VARCHAR NOT NULL,
    is_baseline BOOLEAN NOT NULL,
    baseline_judges BOOLEAN NOT NULL,
    n_responses INTEGER NOT NULL,
    n_examples INTEGER NOT NULL,
    score DOUBLE,
    bootstrap_std DOUBLE,
    coverage DOUBLE,
    judge_models VARCHAR NOT NULL,
    judge_prompt_version VARCHAR NOT NULL,
    scored_at TIMESTAMP DEFAULT current_timestamp
);
