SELECT item_id, query_id, tier, tag, weight, title, description
FROM rubric_items
WHERE query_id = ? AND rubric_set_version = (
    SELECT max(rubric_set_version) FROM rubric_items WHERE query_id = ?)
ORDER BY item_id
