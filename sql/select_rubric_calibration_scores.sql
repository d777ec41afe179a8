-- Mean score of every scored candidate response to each current usable rubric set, counting
-- only scores computed after the set was written (scores of an earlier rubric do not count).
SELECT s.query_id, s.rubric_set_version, s.calibration_score,
       avg(qs.score) AS mean_score, count(*) AS n_scored,
       count(DISTINCT qs.candidate_model) AS n_models
FROM rubric_sets AS s
JOIN query_scores AS qs
  ON qs.query_id = s.query_id AND qs.rubric_set_version = s.rubric_set_version
WHERE s.is_current AND s.status IN ('ok', 'carried', 'reverified')
  AND qs.score IS NOT NULL AND qs.scored_at >= s.created_at
GROUP BY s.query_id, s.rubric_set_version, s.calibration_score
