SELECT * FROM reward_weight_trajectory WHERE stats_version = ? ORDER BY source, step, dimension
