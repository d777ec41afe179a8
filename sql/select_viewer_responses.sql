-- Every candidate response to a query with a current rubric, with its score on that rubric
-- (missing when it was not scored on it).
WITH rubrics AS (
    SELECT DISTINCT query_id, rubric_set_version FROM current_rubric_items
)
SELECT cr.query_id, cr.response_id, cr.candidate_model, cr.is_baseline, cr.status,
       cr.response_text, qs.score, qs.coverage, qs.truncated, qs.flagged_low_coverage,
       qs.medical_accuracy, qs.key_point_coverage, qs.risk_interception
FROM candidate_responses AS cr
JOIN rubrics AS r USING (query_id)
LEFT JOIN query_scores AS qs
  ON qs.response_id = cr.response_id AND qs.rubric_set_version = r.rubric_set_version
ORDER BY cr.query_id, cr.candidate_model
