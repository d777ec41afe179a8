-- What happened to one batch's rows, counted from the tables that hold them.
SELECT b.rows_read,
       (SELECT count(*) FROM quarantine AS q
        WHERE q.stage = 'ingest' AND q.batch_id = b.batch_id) AS quarantined,
       (SELECT count(*) FROM duplicates AS d WHERE d.batch_id = b.batch_id) AS duplicates
FROM ingest_batches AS b
WHERE b.batch_id = ?
