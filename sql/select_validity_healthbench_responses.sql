SELECT h.response_id, h.query_id, h.candidate_model, s.score AS our_score,
       h.score AS physician_criteria_score, r.response_text, q.final_user_turn AS question
FROM healthbench_example_scores AS h
JOIN candidate_responses AS r ON r.response_id = h.response_id
JOIN queries AS q ON q.query_id = h.query_id
LEFT JOIN query_scores AS s ON s.response_id = h.response_id
ORDER BY h.query_id, h.candidate_model
