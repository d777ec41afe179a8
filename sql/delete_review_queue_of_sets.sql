DELETE FROM review_queue
WHERE (query_id, rubric_set_version) IN (SELECT query_id, rubric_set_version FROM review_rows)
