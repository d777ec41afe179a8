SELECT * FROM reward_vectors WHERE stats_version = ? ORDER BY response_id, dimension
