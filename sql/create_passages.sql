CREATE TABLE IF NOT EXISTS passages (
    passage_id VARCHAR NOT NULL,
    corpus_version VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    n_tokens INTEGER NOT NULL,
    PRIMARY KEY (passage_id, corpus_version)
);
