CREATE OR REPLACE VIEW judge_concordance AS
SELECT audit_set, judge_model, is_baseline, prompt_version, group_by, group_value,
       n, n_missing, concordance, kappa, balanced_f1, threshold, flagged, created_at
FROM concordance;
