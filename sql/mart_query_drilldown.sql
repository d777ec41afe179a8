-- requires: candidate_responses, queries, rubric_items, item_verdicts, judge_verdicts, query_evidence
CREATE OR REPLACE VIEW query_drilldown AS
SELECT cr.query_id, q.final_user_turn AS query_text, q.turns AS history, q.category,
       (SELECT list({'rank': e.rank, 'passage_id': e.passage_id, 'score': e.score} ORDER BY e.rank)
          FROM query_evidence AS e WHERE e.query_id = cr.query_id) AS evidence,
       cr.response_id, cr.candidate_model, cr.is_baseline, cr.response_text,
       ri.item_id, ri.tier, ri.title, ri.tag, ri.weight, ri.levels, ri.support_count,
       ri.support_ratio, ri.evidence_passage_ids, ri.verification,
       ri.rubric_set_version, ri.corpus_version,
       iv.level AS consensus_level, iv.n_votes, iv.agreement,
       (SELECT list({'judge_model': j.judge_model, 'mode': j.mode, 'level': j.level,
                     'rationale': j.rationale, 'status': j.status})
          FROM judge_verdicts AS j
          WHERE j.response_id = cr.response_id AND j.item_id = ri.item_id) AS judge_verdicts
FROM candidate_responses AS cr
JOIN queries AS q ON q.query_id = cr.query_id
JOIN rubric_items AS ri ON ri.query_id = cr.query_id
LEFT JOIN item_verdicts AS iv ON iv.response_id = cr.response_id AND iv.item_id = ri.item_id;
