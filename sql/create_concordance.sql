CREATE TABLE IF NOT EXISTS concordance (
    audit_set VARCHAR NOT NULL,
    judge_model VARCHAR NOT NULL,
    is_baseline BOOLEAN NOT NULL,
    prompt_version VARCHAR,
    group_by VARCHAR NOT NULL,
    group_value VARCHAR NOT NULL,
    n INTEGER NOT NULL,
    n_missing INTEGER NOT NULL,
    concordance DOUBLE,
    kappa DOUBLE,
    balanced_f1 DOUBLE,
    threshold DOUBLE NOT NULL,
    flagged BOOLEAN NOT NULL,
    created_at TIMESTAMP DEFAULT current_timestamp
);
