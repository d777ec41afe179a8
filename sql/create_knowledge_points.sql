CREATE TABLE IF NOT EXISTS knowledge_points (
    point_id VARCHAR NOT NULL,
    query_id VARCHAR NOT NULL,
    rubric_set_version VARCHAR NOT NULL,
    corpus_version VARCHAR,
    round INTEGER NOT NULL,
    aggregator VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    supporting_answer_ids JSON,
    cluster_id VARCHAR,
    created_at TIMESTAMP DEFAULT current_timestamp
);
