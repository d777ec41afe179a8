-- Texts of the clusters of the queries to re-check (a carried rubric's clusters stay under
-- the version that produced them, so any version of the query is searched).
SELECT c.query_id, c.cluster_id, any_value(c.text ORDER BY c.rubric_set_version) AS text
FROM rubric_clusters AS c
WHERE c.query_id IN (SELECT query_id FROM reverify_sources)
GROUP BY c.query_id, c.cluster_id
ORDER BY c.query_id, c.cluster_id
