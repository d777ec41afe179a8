SELECT stats_version
FROM (
    SELECT stats_version, fitted_at FROM reward_normalization_stats
    UNION ALL
    SELECT stats_version, NULL AS fitted_at FROM reward_weight_trajectory
)
ORDER BY fitted_at DESC NULLS LAST, stats_version DESC
LIMIT 1
