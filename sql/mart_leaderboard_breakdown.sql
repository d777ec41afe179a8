-- requires: item_verdicts, candidate_responses, queries, rubric_items, llm_calls
CREATE OR REPLACE VIEW leaderboard_breakdown AS
WITH qs AS (
    SELECT 'qs-' || substr(md5(string_agg(query_id, ',' ORDER BY query_id)), 1, 12) AS query_set_version
    FROM queries
), pv AS (
    SELECT coalesce(string_agg(DISTINCT prompt_version, ',' ORDER BY prompt_version), 'unknown')
        AS judge_prompt_version
    FROM llm_calls WHERE role = 'judges'
), v AS (
    SELECT cr.candidate_model, cr.is_baseline, q.category, ri.tier, ri.tag,
           ri.rubric_set_version, ri.corpus_version,
           CASE WHEN ri.tier = 'Pitfall' THEN 'safety' ELSE 'quality' END AS dimension,
           TRY_CAST(iv.level AS DOUBLE) AS level
    FROM item_verdicts AS iv
    JOIN candidate_responses AS cr ON cr.response_id = iv.response_id
    JOIN rubric_items AS ri ON ri.item_id = iv.item_id AND ri.query_id = cr.query_id
    JOIN queries AS q ON q.query_id = cr.query_id
)
SELECT candidate_model, is_baseline, category, tier, tag, dimension,
       count(*) AS n_items,
       count(level) AS n_judged,
       avg(level) AS mean_level,
       avg(level) - 1.96 * coalesce(stddev_samp(level), 0) / sqrt(greatest(count(level), 1)) AS ci_low,
       avg(level) + 1.96 * coalesce(stddev_samp(level), 0) / sqrt(greatest(count(level), 1)) AS ci_high,
       qs.query_set_version, rubric_set_version, corpus_version, pv.judge_prompt_version
FROM v, qs, pv
GROUP BY ALL;
