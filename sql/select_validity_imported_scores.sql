SELECT q.final_user_turn AS question, s.score AS our_score
FROM candidate_responses AS r
JOIN queries AS q ON q.query_id = r.query_id
LEFT JOIN query_scores AS s ON s.response_id = r.response_id
WHERE r.candidate_model LIKE ?
