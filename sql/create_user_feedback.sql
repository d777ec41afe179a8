CREATE TABLE IF NOT EXISTS user_feedback (
    feedback_id VARCHAR PRIMARY KEY,
    response_id VARCHAR NOT NULL,
    query_id VARCHAR,
    rating DOUBLE,
    thumbs INTEGER,
    complaint BOOLEAN,
    complaint_text VARCHAR,
    source VARCHAR NOT NULL,
    imported_at TIMESTAMP DEFAULT current_timestamp,
    source_file VARCHAR
);
