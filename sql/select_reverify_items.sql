-- Items of the rubric sets to re-check (registered table reverify_sources: query_id,
-- from_version) with the cluster ids each item cites.
SELECT i.query_id, i.item_id, i.cluster_ids
FROM rubric_items AS i
JOIN reverify_sources AS t
  ON t.query_id = i.query_id AND t.rubric_set_version = i.rubric_set_version
ORDER BY i.query_id, i.item_id
