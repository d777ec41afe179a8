CREATE OR REPLACE VIEW quarantine_summary AS
SELECT stage, batch_id, source_file, reason, count(*) AS n_rows,
       max(quarantined_at) AS last_at
FROM quarantine
GROUP BY ALL;
