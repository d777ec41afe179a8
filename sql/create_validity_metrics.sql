CREATE TABLE IF NOT EXISTS validity_metrics (
    task VARCHAR NOT NULL,
    dataset VARCHAR NOT NULL,
    split VARCHAR NOT NULL,
    instrument VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value DOUBLE,
    n BIGINT NOT NULL,
    note VARCHAR,
    judge_models VARCHAR NOT NULL,
    profile VARCHAR NOT NULL,
    created_at TIMESTAMP DEFAULT current_timestamp
);
