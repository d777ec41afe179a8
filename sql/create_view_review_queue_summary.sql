CREATE OR REPLACE VIEW review_queue_summary AS
SELECT rubric_set_version, reason, count(*) AS n_queries,
       min(created_at) AS first_at, max(created_at) AS last_at
FROM review_queue
GROUP BY ALL;
