ALTER TABLE reward_normalization_stats ALTER COLUMN scale DROP NOT NULL;
