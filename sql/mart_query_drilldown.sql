-- requires: candidate_responses, queries, current_rubric_items, item_verdicts, judge_verdicts, query_evidence, passages, documents, query_scores, score_versions
CREATE OR REPLACE VIEW query_drilldown AS
SELECT cr.query_id, q.final_user_turn AS query_text, q.turns AS history, q.category,
       -- the evidence the rubric was written from (retrieved from the rubric's corpus version)
       (SELECT list({'rank': e.rank, 'passage_id': e.passage_id, 'score': e.score,
                     'title': d.title, 'source': d.source, 'url': d.url, 'text': p.text}
                    ORDER BY e.rank)
          FROM query_evidence AS e
          LEFT JOIN passages AS p
            ON p.passage_id = e.passage_id AND p.corpus_version = e.corpus_version
          LEFT JOIN documents AS d ON d.doc_id = p.doc_id AND d.corpus_version = p.corpus_version
          WHERE e.query_id = cr.query_id AND e.corpus_version = ri.corpus_version) AS evidence,
       cr.response_id, cr.candidate_model, cr.is_baseline, cr.status AS response_status,
       cr.response_text,
       ri.item_id, ri.tier, ri.title, ri.description, ri.tag, ri.weight, ri.levels,
       ri.support_count, ri.support_ratio, ri.evidence_passage_ids, ri.verification,
       ri.generated_by_baseline AS rubric_by_baseline,
       iv.level AS consensus_level, iv.n_votes, iv.agreement,
       (SELECT list({'judge_model': j.judge_model, 'mode': j.mode, 'level': j.level,
                     'pitfall_severity': j.pitfall_severity, 'rationale': j.rationale,
                     'status': j.status} ORDER BY j.judge_model, j.mode)
          FROM judge_verdicts AS j
          WHERE j.response_id = cr.response_id AND j.item_id = ri.item_id) AS judge_verdicts,
       qs.score AS response_score, qs.coverage AS response_coverage,
       s.query_set_version, ri.rubric_set_version, ri.corpus_version,
       s.candidate_prompt_version, s.judge_prompt_version
FROM candidate_responses AS cr
JOIN queries AS q ON q.query_id = cr.query_id
JOIN current_rubric_items AS ri ON ri.query_id = cr.query_id
LEFT JOIN item_verdicts AS iv ON iv.response_id = cr.response_id AND iv.item_id = ri.item_id
LEFT JOIN query_scores AS qs  -- a score made on another rubric version is not shown
  ON qs.response_id = cr.response_id AND qs.rubric_set_version = ri.rubric_set_version
LEFT JOIN score_versions AS s ON s.candidate_model = cr.candidate_model;
