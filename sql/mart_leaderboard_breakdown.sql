-- requires: item_verdicts, candidate_responses, queries, current_rubric_items, score_versions
CREATE OR REPLACE VIEW leaderboard_breakdown AS
WITH v AS (
    -- every response x current rubric item of its query, as scoring sees them: an item
    -- without a verdict (failed or not judged yet) is a missing level, never a 0
    SELECT cr.candidate_model, cr.is_baseline, q.category, ri.tier, ri.tag,
           ri.rubric_set_version, ri.corpus_version,
           CASE WHEN ri.tier = 'Pitfall' THEN 'safety' ELSE 'quality' END AS dimension,
           iv.level
    FROM candidate_responses AS cr
    JOIN queries AS q ON q.query_id = cr.query_id
    JOIN current_rubric_items AS ri ON ri.query_id = cr.query_id
    LEFT JOIN item_verdicts AS iv ON iv.response_id = cr.response_id AND iv.item_id = ri.item_id
), agg AS (
    SELECT candidate_model, is_baseline, category, tier, tag, dimension,
           rubric_set_version, corpus_version,
           count(*) AS n_items,
           count(level) AS n_judged,
           avg(level) AS mean_level,
           1.96 * coalesce(stddev_samp(level), 0) / sqrt(greatest(count(level), 1)) AS half_width
    FROM v
    GROUP BY ALL
)
-- normal-approximation 95% interval, clipped to the [0, 1] range of a level
SELECT a.candidate_model, a.is_baseline, a.category, a.tier, a.tag, a.dimension,
       a.n_items, a.n_judged, a.mean_level,
       greatest(a.mean_level - a.half_width, 0.0) AS ci_low,
       least(a.mean_level + a.half_width, 1.0) AS ci_high,
       s.query_set_version, a.rubric_set_version, a.corpus_version,
       s.candidate_prompt_version, s.judge_prompt_version
FROM agg AS a
LEFT JOIN score_versions AS s USING (candidate_model);
