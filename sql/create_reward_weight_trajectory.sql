CREATE TABLE IF NOT EXISTS reward_weight_trajectory (
    source VARCHAR NOT NULL,
    step INTEGER NOT NULL,
    step_label VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    weight DOUBLE NOT NULL,
    weakness DOUBLE NOT NULL,
    risk DOUBLE NOT NULL,
    redundancy DOUBLE NOT NULL,
    batch_mean DOUBLE,
    stats_version VARCHAR NOT NULL,
    policy VARCHAR
);
