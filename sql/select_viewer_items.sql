-- The current rubric items per query, Essential first and Pitfall last.
SELECT query_id, item_id, tier, title, description, tag, weight, support_count,
       support_ratio, CAST(evidence_passage_ids AS VARCHAR) AS evidence_passage_ids,
       verification
FROM current_rubric_items
ORDER BY query_id,
         CASE tier WHEN 'Essential' THEN 0 WHEN 'Important' THEN 1 WHEN 'Highlight' THEN 2
                   WHEN 'Pitfall' THEN 3 ELSE 4 END,
         item_id
