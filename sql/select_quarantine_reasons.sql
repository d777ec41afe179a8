-- Rows set aside by ingestion and imports, per stage and reason (most frequent first).
SELECT stage, reason, count(*) AS n_rows
FROM quarantine
GROUP BY ALL
ORDER BY n_rows DESC, stage, reason
