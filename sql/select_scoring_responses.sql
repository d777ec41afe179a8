SELECT response_id, query_id, candidate_model, is_baseline
FROM candidate_responses
