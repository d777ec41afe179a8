SELECT v.response_id, r.candidate_model, v.item_id, v.level, i.tier, i.tag, i.weight, i.title
FROM item_verdicts AS v
JOIN candidate_responses AS r ON r.response_id = v.response_id
JOIN current_rubric_items AS i ON i.item_id = v.item_id AND i.query_id = r.query_id
ORDER BY v.response_id, v.item_id
