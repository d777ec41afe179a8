-- requires: judge_verdicts, current_rubric_items, candidate_responses, item_verdicts, concordance, judge_panel_stats
CREATE OR REPLACE VIEW judge_agreement AS
WITH per_judge AS (
    -- each judge's verdicts on the current rubric items against the panel consensus
    SELECT j.judge_model, ri.tier,
           count(*) AS n_verdicts,
           count(*) FILTER (WHERE j.level IS NULL) AS n_missing,
           avg(CASE WHEN j.level = iv.level THEN 1.0 ELSE 0.0 END)
               FILTER (WHERE j.level IS NOT NULL AND iv.level IS NOT NULL) AS agreement_with_consensus,
           avg(iv.agreement) AS mean_panel_agreement
    FROM judge_verdicts AS j
    JOIN candidate_responses AS cr ON cr.response_id = j.response_id
    JOIN current_rubric_items AS ri ON ri.item_id = j.item_id AND ri.query_id = cr.query_id
    JOIN item_verdicts AS iv ON iv.response_id = j.response_id AND iv.item_id = j.item_id
    GROUP BY ALL
), panel AS (
    -- inter-judge reliability of the latest panel run, per tier (NULL with one judge)
    SELECT scope AS tier, n_judges, fleiss_kappa, krippendorff_alpha
    FROM judge_panel_stats
    WHERE panel_run_id = (SELECT arg_max(panel_run_id, created_at) FROM judge_panel_stats)
), expert AS (
    -- concordance with physicians/clinicians: the weakest audit set is the one reported
    SELECT judge_model, group_by, group_value,
           min(concordance) AS concordance,
           arg_min(audit_set, concordance) AS audit_set,
           bool_or(flagged) AS flagged
    FROM concordance WHERE group_by IN ('all', 'tier')
      AND NOT contains(audit_set, '@first')  -- a K-QA run on its first N rows only
    GROUP BY ALL
)
SELECT p.judge_model, starts_with(p.judge_model, 'baseline/') AS is_baseline, p.tier, p.n_verdicts, p.n_missing, p.agreement_with_consensus,
       p.mean_panel_agreement, pn.n_judges AS panel_judges, pn.fleiss_kappa AS panel_fleiss_kappa,
       pn.krippendorff_alpha AS panel_krippendorff_alpha,
       e.concordance AS expert_concordance, e.audit_set AS expert_audit_set,
       t.concordance AS expert_concordance_tier,
       coalesce(e.flagged, false) AS flagged
FROM per_judge AS p
LEFT JOIN panel AS pn ON pn.tier = p.tier
LEFT JOIN expert AS e ON e.judge_model = p.judge_model AND e.group_by = 'all'
LEFT JOIN expert AS t ON t.judge_model = p.judge_model AND t.group_by = 'tier' AND t.group_value = p.tier;
