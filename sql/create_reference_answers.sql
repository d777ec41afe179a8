CREATE TABLE IF NOT EXISTS reference_answers (
    reference_answer_id VARCHAR PRIMARY KEY,
    query_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    author VARCHAR NOT NULL,
    answer_text VARCHAR NOT NULL,
    batch_id VARCHAR NOT NULL
);
