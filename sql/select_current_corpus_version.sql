SELECT corpus_version FROM corpus_versions WHERE is_current ORDER BY built_at DESC LIMIT 1
