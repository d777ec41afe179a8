CREATE TABLE IF NOT EXISTS judge_verdicts (
    response_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    judge_model VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,
    level DOUBLE,
    pitfall_severity VARCHAR,
    rationale VARCHAR,
    status VARCHAR NOT NULL
);
