WITH generators AS (
    -- who wrote each rubric set (the report labels the offline baselines)
    SELECT rubric_set_version, list(DISTINCT generator ORDER BY generator) AS generators
    FROM candidate_answers
    GROUP BY rubric_set_version
)
SELECT c.rubric_set_version, g.generators, c.source, c.measure, c.stratum,
       c.n, c.matched, c.value, c.threshold
FROM rubric_coverage AS c
LEFT JOIN generators AS g USING (rubric_set_version)
ORDER BY c.rubric_set_version, c.source, c.measure, c.stratum <> 'All', c.stratum;
