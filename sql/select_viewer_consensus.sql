-- The panel's majority verdict per response and current rubric item.
SELECT iv.response_id, iv.item_id, iv.level, iv.n_votes, iv.agreement
FROM item_verdicts AS iv
JOIN current_rubric_items AS ri ON ri.item_id = iv.item_id
JOIN candidate_responses AS cr ON cr.response_id = iv.response_id AND cr.query_id = ri.query_id
