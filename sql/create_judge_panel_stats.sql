CREATE TABLE IF NOT EXISTS judge_panel_stats (
    panel_run_id VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,
    judges VARCHAR NOT NULL,
    n_judges INTEGER NOT NULL,
    n_units INTEGER NOT NULL,
    n_missing INTEGER NOT NULL,
    fleiss_kappa DOUBLE,
    krippendorff_alpha DOUBLE,
    created_at TIMESTAMP NOT NULL
);
