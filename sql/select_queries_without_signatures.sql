-- Stored queries of other batches with no signature at this LSH threshold (a warehouse
-- from before signatures were stored, or a changed threshold): hashed once, then stored.
SELECT q.query_id, q.batch_id, CAST(q.turns AS VARCHAR) AS turns
FROM queries q
LEFT JOIN query_signatures s ON s.query_id = q.query_id AND s.lsh_threshold = $threshold
WHERE q.batch_id <> $batch_id AND s.query_id IS NULL
ORDER BY q.query_id
