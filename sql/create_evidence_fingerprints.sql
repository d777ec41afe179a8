CREATE TABLE IF NOT EXISTS evidence_fingerprints (
    query_id VARCHAR NOT NULL,
    corpus_version VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    n_passages INTEGER NOT NULL,
    PRIMARY KEY (query_id, corpus_version)
);
