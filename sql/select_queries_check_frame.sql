WITH t AS (
    SELECT query_id, category, difficulty, final_user_turn, n_turns, category_confidence,
           CAST(turns AS STRUCT(role VARCHAR, content VARCHAR)[]) AS msgs
    FROM queries
    WHERE batch_id = ?
),
roles AS (
    SELECT query_id,
           list_filter(list_transform(msgs, m -> m.role), r -> r <> 'system') AS dialogue,
           list_transform(msgs, m -> m.role) AS all_roles,
           msgs
    FROM t
)
SELECT t.query_id, t.category, t.difficulty, t.final_user_turn, t.n_turns,
       t.category_confidence,
       (list_bool_and(list_transform(r.all_roles, x -> x IN ('system', 'user', 'assistant')))
        AND r.dialogue[-1] = 'user'
        AND list_bool_and(list_transform(
                range(1, len(r.dialogue)),
                i -> r.dialogue[i] <> r.dialogue[i + 1]))
        IS NOT FALSE) AS roles_well_formed,
       r.msgs[-1].content = t.final_user_turn AS final_turn_matches
FROM t JOIN roles AS r USING (query_id)
