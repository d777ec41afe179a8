CREATE TABLE IF NOT EXISTS healthbench_verdicts (
    response_id VARCHAR NOT NULL,
    criterion_id VARCHAR NOT NULL,
    judge_model VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,
    level DOUBLE,
    met BOOLEAN,
    rationale VARCHAR,
    status VARCHAR NOT NULL
);
