SELECT candidate_model, reward, gated FROM reward_scores WHERE stats_version = ?
