SELECT query_id, passage_id, doc_id, text
FROM query_evidence_text
