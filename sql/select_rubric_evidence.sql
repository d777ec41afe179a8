WITH newest AS (
    SELECT query_id, corpus_version,
           row_number() OVER (PARTITION BY query_id ORDER BY corpus_version DESC) AS pick
    FROM evidence_fingerprints
)
SELECT e.query_id, e.corpus_version, e.rank, e.passage_id, p.text
FROM query_evidence AS e
JOIN newest AS n
  ON n.query_id = e.query_id AND n.corpus_version = e.corpus_version AND n.pick = 1
JOIN passages AS p ON p.passage_id = e.passage_id
