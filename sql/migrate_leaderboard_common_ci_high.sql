ALTER TABLE leaderboard ADD COLUMN IF NOT EXISTS common_ci_high DOUBLE;
