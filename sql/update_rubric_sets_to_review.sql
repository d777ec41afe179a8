UPDATE rubric_sets SET status = 'review'
WHERE (query_id, rubric_set_version) IN (SELECT query_id, rubric_set_version FROM review_rows)
