-- requires: judge_verdicts, rubric_items, item_verdicts, concordance
CREATE OR REPLACE VIEW judge_agreement AS
WITH per_judge AS (
    SELECT j.judge_model, ri.tier,
           count(*) AS n_verdicts,
           count(*) FILTER (WHERE j.level IS NULL) AS n_missing,
           avg(CASE WHEN CAST(j.level AS VARCHAR) = CAST(iv.level AS VARCHAR) THEN 1.0 ELSE 0.0 END)
               FILTER (WHERE j.level IS NOT NULL AND iv.level IS NOT NULL) AS agreement_with_consensus,
           avg(iv.agreement) AS mean_panel_agreement
    FROM judge_verdicts AS j
    JOIN item_verdicts AS iv ON iv.response_id = j.response_id AND iv.item_id = j.item_id
    JOIN rubric_items AS ri ON ri.item_id = j.item_id
    GROUP BY ALL
), flags AS (
    SELECT judge_model, bool_or(flagged) AS below_concordance, min(concordance) AS concordance
    FROM concordance WHERE group_by = 'all' GROUP BY judge_model
)
SELECT p.*, f.concordance AS expert_concordance, coalesce(f.below_concordance, false) AS flagged
FROM per_judge AS p LEFT JOIN flags AS f USING (judge_model);
