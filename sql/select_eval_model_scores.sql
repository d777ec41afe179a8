WITH judges AS (
    SELECT response_id, string_agg(DISTINCT judge_model, ',' ORDER BY judge_model) AS judge_models
    FROM judge_verdicts
    GROUP BY response_id
)
SELECT s.response_id, s.query_id, s.candidate_model, s.score, s.rubric_set_version,
    s.corpus_version, j.judge_models
FROM query_scores AS s
LEFT JOIN judges AS j USING (response_id)
WHERE s.candidate_model = ?
ORDER BY s.query_id
