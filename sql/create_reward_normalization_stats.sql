CREATE TABLE IF NOT EXISTS reward_normalization_stats (
    stats_version VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    reference VARCHAR NOT NULL,
    matrix_version VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    location DOUBLE,  -- NULL: no reference value (method empty)
    scale DOUBLE,
    n INTEGER NOT NULL,
    method VARCHAR NOT NULL,
    degenerate BOOLEAN NOT NULL,
    artifact_path VARCHAR NOT NULL,
    fitted_at VARCHAR
);
