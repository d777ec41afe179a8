SELECT candidate_model, judges_profile
FROM eval_requests
WHERE run_id = ?
