ALTER TABLE query_scores ADD COLUMN IF NOT EXISTS scored_at TIMESTAMP DEFAULT current_timestamp;
