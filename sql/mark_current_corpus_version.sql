UPDATE corpus_versions SET is_current = (corpus_version = ?)
