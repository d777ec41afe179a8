SELECT x.query_id, coalesce(x.passage_id, p.passage_id) AS passage_id
FROM evidence_exclusions AS x
JOIN passages AS p
  ON p.corpus_version = x.corpus_version
 AND (p.passage_id = x.passage_id OR (x.passage_id IS NULL AND p.doc_id = x.doc_id))
WHERE x.corpus_version = ?
