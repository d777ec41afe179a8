SELECT DISTINCT query_id
FROM current_rubric_items
ORDER BY query_id
