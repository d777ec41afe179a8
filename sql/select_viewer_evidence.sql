-- The evidence each current rubric was written from (its own corpus version), with sources.
WITH rubrics AS (
    SELECT DISTINCT query_id, corpus_version FROM current_rubric_items
)
SELECT e.query_id, e.rank, e.passage_id, e.score, e.retriever,
       p.text, d.title, d.url, d.source, d.license
FROM query_evidence AS e
JOIN rubrics AS r ON r.query_id = e.query_id AND r.corpus_version = e.corpus_version
LEFT JOIN passages AS p ON p.passage_id = e.passage_id AND p.corpus_version = e.corpus_version
LEFT JOIN documents AS d ON d.doc_id = p.doc_id AND d.corpus_version = p.corpus_version
ORDER BY e.query_id, e.rank
