CREATE TABLE IF NOT EXISTS reward_scores (
    response_id VARCHAR NOT NULL,
    query_id VARCHAR,
    candidate_model VARCHAR NOT NULL,
    reward DOUBLE,
    ungated_reward DOUBLE,
    gated BOOLEAN NOT NULL,
    gate_reason VARCHAR,
    major_pitfall_items JSON NOT NULL,
    stats_version VARCHAR NOT NULL
);
