DELETE FROM documents WHERE corpus_version NOT IN (SELECT corpus_version FROM corpus_versions)
