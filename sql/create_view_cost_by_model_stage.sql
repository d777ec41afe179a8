CREATE OR REPLACE VIEW cost_by_model_stage AS
SELECT run_label, role AS stage, model, is_baseline, prompt_version,
       count(*) AS calls,
       count(*) FILTER (WHERE status IN ('ok', 'cached')) AS calls_ok,
       count(*) FILTER (WHERE status = 'failed') AS calls_failed,
       CAST(sum(tokens_in) AS BIGINT) AS tokens_in, CAST(sum(tokens_out) AS BIGINT) AS tokens_out,
       sum(cost_usd) AS cost_usd, avg(latency_s) AS mean_latency_s
FROM llm_calls
GROUP BY ALL;
