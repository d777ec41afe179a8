CREATE TABLE IF NOT EXISTS evidence_exclusions (
    corpus_version VARCHAR NOT NULL,
    query_id VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    passage_id VARCHAR,
    reason VARCHAR NOT NULL,
    containment DOUBLE,
    n_passages INTEGER NOT NULL
);
