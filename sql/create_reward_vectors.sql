CREATE TABLE IF NOT EXISTS reward_vectors (
    response_id VARCHAR NOT NULL,
    query_id VARCHAR,
    candidate_model VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    raw_value DOUBLE,
    normalized_value DOUBLE,
    sources JSON NOT NULL,
    stats_version VARCHAR NOT NULL
);
