DELETE FROM corpus_versions
WHERE NOT is_current
  AND corpus_version NOT IN (
      SELECT corpus_version FROM corpus_versions ORDER BY built_at DESC LIMIT ?
  )
