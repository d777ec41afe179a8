-- requires: queries, llm_calls, candidate_responses
CREATE OR REPLACE VIEW score_versions AS
WITH query_set AS (
    -- the same hash as a release's query_set_version (stable_hash of the sorted query ids)
    SELECT substr(sha256('[' || string_agg('"' || query_id || '"', ', ' ORDER BY query_id) || ']'),
                  1, 16) AS query_set_version
    FROM queries
), judge_prompts AS (
    SELECT string_agg(DISTINCT prompt_version, ',' ORDER BY prompt_version) AS judge_prompt_version
    FROM llm_calls WHERE run_label = 'judge_panel'
), candidate_prompts AS (
    -- imported responses were generated elsewhere: no prompt of ours
    SELECT r.candidate_model,
           coalesce(string_agg(DISTINCT c.prompt_version, ',' ORDER BY c.prompt_version),
                    'imported') AS candidate_prompt_version
    FROM candidate_responses AS r
    LEFT JOIN llm_calls AS c ON c.cache_key = r.call_key
    GROUP BY r.candidate_model
)
SELECT c.candidate_model, q.query_set_version, c.candidate_prompt_version, j.judge_prompt_version
FROM candidate_prompts AS c, query_set AS q, judge_prompts AS j;
