-- Signatures of stored queries (other batches) that share a dedup key or an LSH bucket
-- with the incoming rows (registered as incoming_keys(dedup_key), incoming_buckets(bucket)).
WITH candidates AS (
    SELECT s.query_id
    FROM query_signatures s, unnest(s.buckets) AS u(bucket)
    WHERE u.bucket IN (SELECT bucket FROM incoming_buckets)
    UNION
    SELECT s.query_id
    FROM query_signatures s
    WHERE s.dedup_key IN (SELECT dedup_key FROM incoming_keys)
)
SELECT s.query_id, s.dedup_key, s.minhash
FROM query_signatures s
JOIN candidates c ON c.query_id = s.query_id
JOIN queries q ON q.query_id = s.query_id
WHERE q.batch_id <> $batch_id AND s.lsh_threshold = $threshold
ORDER BY s.query_id
