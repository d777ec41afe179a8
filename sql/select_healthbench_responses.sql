-- Answered candidate responses (generated, cached or imported) of queries with HealthBench
-- criteria; failed responses have no text and are not HealthBench examples
SELECT r.response_id, r.query_id, r.candidate_model, r.is_baseline, r.response_text
FROM candidate_responses AS r
WHERE r.status IN ('ok', 'cached', 'imported') AND r.response_text IS NOT NULL
  AND r.query_id IN (
      SELECT query_id FROM reference_rubrics
      WHERE source = 'healthbench' AND kind = 'criterion'
  )
ORDER BY r.response_id;
