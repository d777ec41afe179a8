SELECT passage_id, text FROM passages WHERE corpus_version = ? AND list_contains(?, passage_id)
