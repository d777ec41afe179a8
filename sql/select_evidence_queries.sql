SELECT query_id, CAST(turns AS VARCHAR) AS turns, final_user_turn
FROM queries
ORDER BY query_id
