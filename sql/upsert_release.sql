INSERT OR REPLACE INTO releases
    (release_id, name, created_at, query_set_version, rubric_set_versions, corpus_versions,
     tables, location)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
