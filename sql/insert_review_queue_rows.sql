INSERT INTO review_queue (query_id, rubric_set_version, reason, details)
SELECT query_id, rubric_set_version, reason, details FROM review_rows
