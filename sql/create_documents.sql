CREATE TABLE IF NOT EXISTS documents (
    doc_id VARCHAR NOT NULL,
    corpus_version VARCHAR NOT NULL,
    title VARCHAR,
    url VARCHAR,
    source VARCHAR NOT NULL,
    license VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, corpus_version)
);
