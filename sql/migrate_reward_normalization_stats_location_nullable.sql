ALTER TABLE reward_normalization_stats ALTER COLUMN location DROP NOT NULL;
