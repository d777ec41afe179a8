SELECT response_id, response_text
FROM candidate_responses
WHERE list_contains(?::VARCHAR[], response_id)
