SELECT v.response_id, r.candidate_model, v.item_id, v.level, i.tier, i.tag, i.weight, i.title
FROM item_verdicts AS v
JOIN candidate_responses AS r ON r.response_id = v.response_id
JOIN (
    SELECT DISTINCT ON (item_id) item_id, tier, tag, weight, title
    FROM rubric_items
    ORDER BY item_id, rubric_set_version DESC
) AS i ON i.item_id = v.item_id
ORDER BY v.response_id, v.item_id
