CREATE TABLE IF NOT EXISTS skipped_steps (
    asset_key VARCHAR PRIMARY KEY,
    reason VARCHAR NOT NULL,
    recorded_at TIMESTAMP DEFAULT current_timestamp
);
