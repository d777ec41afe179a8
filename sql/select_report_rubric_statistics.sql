SELECT rubric_set_version, corpus_version, tier, tag, n_items, n_queries, mean_weight,
       mean_support_ratio, share_supported, mean_evidence_passages
FROM rubric_statistics
ORDER BY rubric_set_version, tier, tag;
