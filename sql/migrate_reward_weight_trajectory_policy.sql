ALTER TABLE reward_weight_trajectory ADD COLUMN IF NOT EXISTS policy VARCHAR;
