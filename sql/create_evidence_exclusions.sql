CREATE TABLE IF NOT EXISTS evidence_exclusions (
    corpus_version VARCHAR NOT NULL,
    query_id VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    containment DOUBLE,
    n_passages INTEGER NOT NULL,
    PRIMARY KEY (corpus_version, query_id, doc_id)
);
