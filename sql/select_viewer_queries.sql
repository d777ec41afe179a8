-- The queries the per-sample viewer shows: every query with a current rubric.
WITH rubrics AS (
    SELECT DISTINCT query_id, rubric_set_version, corpus_version FROM current_rubric_items
)
SELECT q.query_id, q.category, q.difficulty, q.department, q.source, q.language,
       CAST(q.turns AS VARCHAR) AS turns, q.final_user_turn,
       r.rubric_set_version, r.corpus_version
FROM queries AS q
JOIN rubrics AS r USING (query_id)
ORDER BY q.category, q.query_id
