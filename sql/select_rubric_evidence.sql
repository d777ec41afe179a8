WITH current_version AS (
    SELECT corpus_version FROM corpus_versions WHERE is_current ORDER BY built_at DESC LIMIT 1
)
SELECT e.query_id, e.corpus_version, e.rank, e.passage_id, p.text
FROM query_evidence AS e
JOIN passages AS p ON p.passage_id = e.passage_id AND p.corpus_version = e.corpus_version
WHERE e.corpus_version = (SELECT corpus_version FROM current_version)
