SELECT cr.response_id, ri.item_id, cr.query_id, q.category, ri.tier, cr.candidate_model,
       q.turns, q.final_user_turn AS query_text, cr.response_text, ri.title AS item_title,
       CAST(ri.levels AS VARCHAR) AS levels,
       CAST(iv.level AS VARCHAR) AS panel_level,
       (SELECT CAST(to_json(map_from_entries(list(
                   {'k': j.judge_model, 'v': CAST(j.level AS VARCHAR)})))
               AS VARCHAR)
          FROM judge_verdicts AS j
          WHERE j.response_id = cr.response_id AND j.item_id = ri.item_id) AS judge_levels
FROM candidate_responses AS cr
JOIN queries AS q ON q.query_id = cr.query_id
JOIN current_rubric_items AS ri ON ri.query_id = cr.query_id
LEFT JOIN item_verdicts AS iv ON iv.response_id = cr.response_id AND iv.item_id = ri.item_id
WHERE cr.response_text IS NOT NULL;
