-- requires: query_scores, queries, score_versions, current_rubric_items
CREATE OR REPLACE VIEW query_scores_versioned AS
SELECT qs.response_id, qs.query_id, q.category, qs.candidate_model, qs.is_baseline,
       qs.score, qs.coverage, qs.flagged_low_coverage, qs.truncated,
       qs.medical_accuracy, qs.key_point_coverage, qs.risk_interception,
       s.query_set_version, qs.rubric_set_version, qs.corpus_version,
       s.candidate_prompt_version, s.judge_prompt_version
FROM query_scores AS qs
JOIN queries AS q ON q.query_id = qs.query_id
LEFT JOIN score_versions AS s USING (candidate_model)
-- only scores made on the query's current rubric: one whose rubric went to review or was
-- replaced since the last scoring run is not read
WHERE EXISTS (SELECT 1 FROM current_rubric_items AS ri
              WHERE ri.query_id = qs.query_id AND ri.rubric_set_version = qs.rubric_set_version);
