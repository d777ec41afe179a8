CREATE TABLE IF NOT EXISTS releases (
    release_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    created_at VARCHAR NOT NULL,
    query_set_version VARCHAR,
    rubric_set_versions JSON,
    corpus_versions JSON,
    tables JSON,
    location VARCHAR
);
