SELECT candidate_model, bool_or(is_baseline) AS is_baseline
FROM candidate_responses
GROUP BY candidate_model
