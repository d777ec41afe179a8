SELECT query_id, category
FROM queries
