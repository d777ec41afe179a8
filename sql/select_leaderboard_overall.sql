SELECT candidate_model, is_baseline, score, ci_low, ci_high, n_queries, n_scored, coverage,
       common_score, common_ci_low, common_ci_high, n_common
FROM leaderboard
WHERE lower(category) = 'all'
ORDER BY score DESC NULLS LAST, candidate_model
