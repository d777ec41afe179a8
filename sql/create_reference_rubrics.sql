CREATE TABLE IF NOT EXISTS reference_rubrics (
    reference_item_id VARCHAR PRIMARY KEY,
    query_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    criterion VARCHAR NOT NULL,
    points DOUBLE NOT NULL,
    kind VARCHAR NOT NULL,
    tags JSON,
    batch_id VARCHAR NOT NULL
);
