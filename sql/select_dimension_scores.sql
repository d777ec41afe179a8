SELECT query_id, category, candidate_model, is_baseline, coverage,
       medical_accuracy, key_point_coverage, risk_interception,
       query_set_version, rubric_set_version, corpus_version,
       candidate_prompt_version, judge_prompt_version
FROM query_scores_versioned
