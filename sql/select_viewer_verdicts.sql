-- Each judge's verdict per response and current rubric item, with its rationale.
SELECT j.response_id, j.item_id, j.judge_model, j.mode, j.level, j.pitfall_severity,
       j.rationale, j.status
FROM judge_verdicts AS j
JOIN current_rubric_items AS ri ON ri.item_id = j.item_id
JOIN candidate_responses AS cr ON cr.response_id = j.response_id AND cr.query_id = ri.query_id
ORDER BY j.response_id, j.item_id, j.judge_model, j.mode
