WITH scored AS (
    SELECT candidate_model, count(*) AS n_responses
    FROM query_scores
    GROUP BY candidate_model
),
overall AS (
    SELECT * FROM leaderboard WHERE lower(category) = 'all'
)
SELECT coalesce(o.candidate_model, s.candidate_model) AS candidate_model,
    CASE
        WHEN o.candidate_model IS NULL THEN 'scored model missing from the leaderboard'
        WHEN s.candidate_model IS NULL THEN 'leaderboard model without scores'
        WHEN o.score < 0 OR o.score > 1 THEN 'score outside [0, 1]'
        WHEN o.score IS NOT NULL AND (o.ci_low > o.score OR o.ci_high < o.score)
            THEN 'score outside its 95% interval'
        WHEN o.n_queries > s.n_responses THEN 'more queries than scored responses'
    END AS problem
FROM overall AS o
FULL OUTER JOIN scored AS s USING (candidate_model)
WHERE problem IS NOT NULL
ORDER BY candidate_model
