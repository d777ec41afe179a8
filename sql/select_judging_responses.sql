SELECT r.response_id, r.query_id, r.candidate_model, r.response_text
FROM candidate_responses AS r
WHERE r.query_id IN (SELECT query_id FROM current_rubric_items)
ORDER BY r.response_id;
