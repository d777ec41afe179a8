SELECT run_label AS stage, stage AS role, model, is_baseline,
       sum(calls) AS calls, sum(calls_failed) AS failed,
       sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out, sum(cost_usd) AS cost_usd
FROM cost_by_model_stage
GROUP BY ALL
ORDER BY stage, role, model;
