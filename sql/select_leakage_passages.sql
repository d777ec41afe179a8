SELECT passage_id, doc_id, text
FROM passages
WHERE corpus_version = ?
