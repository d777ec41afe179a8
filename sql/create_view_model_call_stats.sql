CREATE OR REPLACE VIEW model_call_stats AS
SELECT role, model, is_baseline,
       count(*) AS requests,
       count(*) FILTER (WHERE status IN ('ok', 'failed')) AS calls,
       count(*) FILTER (WHERE status = 'cached') AS cached,
       CAST(coalesce(sum(reasks), 0) AS BIGINT) AS reasks,
       count(*) FILTER (WHERE error_class = 'InvalidOutput') AS unparseable,
       count(*) FILTER (WHERE refused) AS refusals,
       count(*) FILTER (WHERE error_class ILIKE '%timeout%') AS timeouts,
       count(*) FILTER (WHERE error_class = 'ContextOverflow') AS context_overflow,
       count(*) FILTER (WHERE status IN ('failed', 'over_budget')) AS null_results,
       count(*) FILTER (WHERE finish_reason = 'length') AS cut_at_max_tokens,
       count(*) FILTER (WHERE evidence_trimmed > 0) AS calls_evidence_trimmed,
       CAST(coalesce(sum(evidence_trimmed), 0) AS BIGINT) AS passages_trimmed,
       CAST(sum(tokens_in) FILTER (WHERE status <> 'cached') AS BIGINT) AS tokens_in,
       CAST(sum(tokens_out) FILTER (WHERE status <> 'cached') AS BIGINT) AS tokens_out,
       max(prompt_tokens_est) AS max_prompt_tokens_est,
       avg(latency_s) FILTER (WHERE status <> 'cached') AS mean_latency_s
FROM llm_calls
GROUP BY ALL
ORDER BY role, model;
