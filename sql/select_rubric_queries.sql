WITH newest AS (
    SELECT query_id, corpus_version, fingerprint,
           row_number() OVER (PARTITION BY query_id ORDER BY corpus_version DESC) AS pick
    FROM evidence_fingerprints
)
SELECT q.query_id, q.final_user_turn, CAST(q.turns AS VARCHAR) AS turns, q.is_multi_turn,
       q.language, n.corpus_version, n.fingerprint
FROM queries AS q
LEFT JOIN newest AS n ON n.query_id = q.query_id AND n.pick = 1
