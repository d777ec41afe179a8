SELECT DISTINCT reference, content_hash FROM reward_normalization_stats WHERE stats_version = ?
