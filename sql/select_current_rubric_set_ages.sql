-- Current rubric sets with the time their content was generated: a carried set is re-labelled
-- under a new corpus version without model calls, so its age is that of the set it came from.
WITH RECURSIVE chain AS (
    SELECT query_id, rubric_set_version AS current_version, config_hash, status,
           rubric_set_version, carried_from, created_at, 0 AS depth
    FROM rubric_sets
    WHERE is_current
    UNION ALL
    SELECT c.query_id, c.current_version, c.config_hash, c.status,
           s.rubric_set_version, s.carried_from, s.created_at, c.depth + 1
    FROM chain AS c
    JOIN rubric_sets AS s
      ON s.query_id = c.query_id AND s.rubric_set_version = c.carried_from
    WHERE c.depth < 100
)
SELECT query_id, current_version AS rubric_set_version, config_hash, status,
       arg_max(created_at, depth) AS generated_at
FROM chain
GROUP BY query_id, current_version, config_hash, status
ORDER BY query_id
