CREATE OR REPLACE VIEW query_evidence_text AS
SELECT e.query_id, e.corpus_version, e.rank, e.passage_id, e.score, e.retriever,
       p.doc_id, p.ordinal, p.content_hash, p.text, d.title, d.url, d.source, d.license,
       f.fingerprint
FROM query_evidence AS e
JOIN corpus_versions AS v ON v.corpus_version = e.corpus_version AND v.is_current
JOIN passages AS p ON p.passage_id = e.passage_id AND p.corpus_version = e.corpus_version
LEFT JOIN documents AS d ON d.doc_id = p.doc_id AND d.corpus_version = p.corpus_version
LEFT JOIN evidence_fingerprints AS f
  ON f.query_id = e.query_id AND f.corpus_version = e.corpus_version
