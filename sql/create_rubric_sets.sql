CREATE TABLE IF NOT EXISTS rubric_sets (
    query_id VARCHAR NOT NULL,
    rubric_set_version VARCHAR NOT NULL,
    config_hash VARCHAR NOT NULL,
    corpus_version VARCHAR,
    evidence_fingerprint VARCHAR,
    status VARCHAR NOT NULL,
    n_items INTEGER NOT NULL,
    agreement DOUBLE,
    rounds INTEGER NOT NULL,
    repaired BOOLEAN NOT NULL,
    carried_from VARCHAR,
    calibration_score DOUBLE,
    is_current BOOLEAN NOT NULL DEFAULT TRUE,
    -- refresh policy in force when the set was written (regenerate | reverify)
    refresh_policy VARCHAR,
    -- when the content was last fully generated (a carried/reverified set: its source's)
    generated_at TIMESTAMP,
    created_at TIMESTAMP DEFAULT current_timestamp
);
