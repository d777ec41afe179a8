CREATE TABLE IF NOT EXISTS rubric_coverage (
    rubric_set_version VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    measure VARCHAR NOT NULL,
    stratum VARCHAR NOT NULL,
    n INTEGER NOT NULL,
    matched INTEGER NOT NULL,
    value DOUBLE,
    threshold DOUBLE NOT NULL,
    created_at TIMESTAMP DEFAULT current_timestamp
);
