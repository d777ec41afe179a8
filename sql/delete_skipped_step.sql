DELETE FROM skipped_steps WHERE asset_key = ?
