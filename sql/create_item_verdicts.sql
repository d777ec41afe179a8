CREATE TABLE IF NOT EXISTS item_verdicts (
    response_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    level DOUBLE,
    n_votes INTEGER NOT NULL,
    agreement DOUBLE
);
