-- Keys to match imported responses to stored queries: stored ids, ids of queries dropped as
-- duplicates (-> the surviving query), and the final user turn of single-turn queries.
SELECT 'id' AS kind, query_id AS key, query_id
FROM queries
UNION ALL
SELECT 'duplicate' AS kind, d.dropped_query_id AS key, d.surviving_query_id AS query_id
FROM duplicates AS d
WHERE d.surviving_query_id IN (SELECT query_id FROM queries)
UNION ALL
SELECT 'text' AS kind, final_user_turn AS key, query_id
FROM queries
WHERE NOT is_multi_turn
ORDER BY kind, key, query_id;
