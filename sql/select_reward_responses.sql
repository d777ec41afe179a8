SELECT r.response_id, r.query_id, r.candidate_model, r.response_text, q.final_user_turn
FROM candidate_responses AS r
LEFT JOIN queries AS q ON q.query_id = r.query_id
WHERE r.response_text IS NOT NULL
ORDER BY r.response_id
