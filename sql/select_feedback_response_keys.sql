-- Responses user feedback can be linked to: response_id -> its query and model.
SELECT response_id, query_id, candidate_model
FROM candidate_responses
ORDER BY response_id;
