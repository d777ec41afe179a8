SELECT asset_key, reason, recorded_at FROM skipped_steps ORDER BY asset_key
