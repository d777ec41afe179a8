-- requires: leaderboard, score_versions
CREATE OR REPLACE VIEW leaderboard_versioned AS
SELECT l.candidate_model, l.is_baseline, l.category, l.n_queries, l.n_scored, l.score,
       l.ci_low, l.ci_high, l.coverage, l.n_common, l.common_score, l.common_ci_low,
       l.common_ci_high, s.query_set_version, l.rubric_set_version, l.corpus_version,
       s.candidate_prompt_version, s.judge_prompt_version
FROM leaderboard AS l
LEFT JOIN score_versions AS s USING (candidate_model);
