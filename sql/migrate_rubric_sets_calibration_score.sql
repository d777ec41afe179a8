ALTER TABLE rubric_sets ADD COLUMN IF NOT EXISTS calibration_score DOUBLE;
