SELECT candidate_model, is_baseline, score, ci_low, ci_high, n_queries, coverage
FROM leaderboard
WHERE lower(category) = 'all'
ORDER BY score DESC NULLS LAST, candidate_model
