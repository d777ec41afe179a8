CREATE TABLE IF NOT EXISTS candidate_answers (
    answer_id VARCHAR NOT NULL,
    query_id VARCHAR NOT NULL,
    rubric_set_version VARCHAR NOT NULL,
    corpus_version VARCHAR,
    round INTEGER NOT NULL,
    generator VARCHAR NOT NULL,
    persona VARCHAR NOT NULL,
    sample_index INTEGER NOT NULL,
    prompt_version VARCHAR NOT NULL,
    cache_key VARCHAR,
    status VARCHAR NOT NULL,
    answer_text VARCHAR,
    citations JSON,
    is_baseline BOOLEAN NOT NULL,
    created_at TIMESTAMP DEFAULT current_timestamp
);
