CREATE TABLE IF NOT EXISTS reward_diagnosis (
    candidate_model VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    category VARCHAR,
    detail VARCHAR,
    n BIGINT NOT NULL,
    mean_normalized DOUBLE,
    gap_to_target DOUBLE,
    failure_rate DOUBLE,
    examples JSON NOT NULL,
    rank BIGINT NOT NULL,
    stats_version VARCHAR NOT NULL
);
