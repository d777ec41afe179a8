CREATE TABLE IF NOT EXISTS corpus_versions (
    corpus_version VARCHAR PRIMARY KEY,
    n_documents INTEGER NOT NULL,
    n_passages INTEGER NOT NULL,
    backend VARCHAR NOT NULL,
    index_name VARCHAR,
    is_current BOOLEAN NOT NULL,
    built_at TIMESTAMP NOT NULL
);
