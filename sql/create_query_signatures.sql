CREATE TABLE IF NOT EXISTS query_signatures (
    query_id VARCHAR PRIMARY KEY,
    batch_id VARCHAR NOT NULL,
    dedup_key VARCHAR NOT NULL,
    minhash UBIGINT[] NOT NULL,
    lsh_threshold DOUBLE NOT NULL,
    buckets BIGINT[] NOT NULL
);
