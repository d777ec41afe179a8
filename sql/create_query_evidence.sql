CREATE TABLE IF NOT EXISTS query_evidence (
    query_id VARCHAR NOT NULL,
    corpus_version VARCHAR NOT NULL,
    rank INTEGER NOT NULL,
    passage_id VARCHAR NOT NULL,
    score DOUBLE,
    retriever VARCHAR NOT NULL,
    PRIMARY KEY (query_id, corpus_version, rank)
);
