WITH current_version AS (
    SELECT corpus_version FROM corpus_versions WHERE is_current ORDER BY built_at DESC LIMIT 1
)
SELECT q.query_id, q.final_user_turn, CAST(q.turns AS VARCHAR) AS turns, q.is_multi_turn,
       q.language, f.corpus_version, f.fingerprint
FROM queries AS q
JOIN evidence_fingerprints AS f
  ON f.query_id = q.query_id AND f.corpus_version = (SELECT corpus_version FROM current_version)
