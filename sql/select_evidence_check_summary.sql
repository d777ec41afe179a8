SELECT q.query_id,
       count(e.passage_id) AS n_rows,
       count(e.passage_id) = ? AS has_k_rows,
       count(*) FILTER (WHERE e.passage_id IS NOT NULL AND e.score IS NULL) AS null_scores,
       count(DISTINCT e.corpus_version) AS n_versions,
       coalesce(bool_and(e.corpus_version = ?), true) AS version_consistent,
       max(f.fingerprint) IS NOT NULL AS has_fingerprint
FROM queries AS q
LEFT JOIN query_evidence AS e ON e.query_id = q.query_id AND e.corpus_version = ?
LEFT JOIN evidence_fingerprints AS f ON f.query_id = q.query_id AND f.corpus_version = ?
GROUP BY q.query_id
