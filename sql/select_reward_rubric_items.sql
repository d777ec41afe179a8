SELECT item_id, query_id, tier, tag, weight, title, description, levels
FROM current_rubric_items
WHERE query_id = ?
ORDER BY item_id
