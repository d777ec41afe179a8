-- HealthBench physician criteria of the stored queries (signed points; tags kept as JSON)
SELECT r.reference_item_id, r.query_id, r.criterion, r.points, r.tags
FROM reference_rubrics AS r
WHERE r.source = 'healthbench' AND r.kind = 'criterion'
  AND r.query_id IN (SELECT query_id FROM queries)
ORDER BY r.query_id, r.reference_item_id;
