SELECT source, measure, stratum, n, value, threshold
FROM rubric_coverage
WHERE stratum IN ('All', 'must_have', 'criterion')
ORDER BY source, measure, stratum
