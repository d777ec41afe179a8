SELECT x.query_id, p.passage_id
FROM evidence_exclusions AS x
JOIN passages AS p ON p.doc_id = x.doc_id AND p.corpus_version = x.corpus_version
WHERE x.corpus_version = ?
