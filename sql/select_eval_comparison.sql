WITH judges AS (
    SELECT response_id, string_agg(DISTINCT judge_model, ',' ORDER BY judge_model) AS judge_models
    FROM judge_verdicts
    GROUP BY response_id
),
target AS (
    SELECT s.query_id, s.rubric_set_version, j.judge_models
    FROM query_scores AS s
    LEFT JOIN judges AS j USING (response_id)
    WHERE s.candidate_model = $1
)
SELECT s.candidate_model, bool_or(s.is_baseline) AS is_baseline, avg(s.score) AS score,
    count(s.score) AS n_scored, count(*) AS n_queries,
    bool_and(s.rubric_set_version IS NOT DISTINCT FROM t.rubric_set_version) AS same_rubrics,
    bool_and(j.judge_models IS NOT DISTINCT FROM t.judge_models) AS same_judges
FROM query_scores AS s
JOIN target AS t USING (query_id)
LEFT JOIN judges AS j ON j.response_id = s.response_id
GROUP BY s.candidate_model
ORDER BY score DESC NULLS LAST, s.candidate_model
