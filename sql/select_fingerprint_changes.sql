SELECT count(*) FILTER (WHERE prev.fingerprint IS NULL) AS new_queries,
       count(*) FILTER (WHERE prev.fingerprint IS NOT NULL AND prev.fingerprint <> cur.fingerprint)
           AS changed_queries,
       count(*) FILTER (WHERE prev.fingerprint = cur.fingerprint) AS unchanged_queries
FROM evidence_fingerprints AS cur
LEFT JOIN evidence_fingerprints AS prev
  ON prev.query_id = cur.query_id AND prev.corpus_version = ?
WHERE cur.corpus_version = ?
