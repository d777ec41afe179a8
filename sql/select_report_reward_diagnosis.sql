SELECT candidate_model, level, key, category, detail, n, gap_to_target, failure_rate, examples, rank
FROM reward_diagnosis
WHERE stats_version = ? AND level IN ('category', 'tag', 'item')
ORDER BY candidate_model, level, rank
