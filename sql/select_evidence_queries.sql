SELECT query_id, turns, final_user_turn, is_multi_turn
FROM queries
ORDER BY query_id
