SELECT
    response_id,
    avg(rating) AS rating,
    avg(thumbs) AS thumbs,
    avg(CASE WHEN complaint IS NULL THEN NULL WHEN complaint THEN 1.0 ELSE 0.0 END)
        AS complaint_rate
FROM user_feedback
GROUP BY response_id
