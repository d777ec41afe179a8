-- Items of the rubric sets to re-check (registered table reverify_sources: query_id,
-- from_version) with the cluster ids each item cites and what the constraints read.
SELECT i.query_id, i.item_id, i.cluster_ids, i.tier, i.title, i.description, i.tag,
       i.weight, i.levels, i.support_count, i.support_ratio, i.evidence_passage_ids,
       i.verification
FROM rubric_items AS i
JOIN reverify_sources AS t
  ON t.query_id = i.query_id AND t.rubric_set_version = i.rubric_set_version
ORDER BY i.query_id, i.item_id
