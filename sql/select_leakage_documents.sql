SELECT doc_id, text, reference_of
FROM documents
WHERE corpus_version = ?
