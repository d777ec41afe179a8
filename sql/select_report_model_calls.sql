SELECT role, model, is_baseline, calls, cached, reasks, unparseable, refusals, timeouts,
       context_overflow, null_results, cut_at_max_tokens, calls_evidence_trimmed,
       passages_trimmed, tokens_in, tokens_out, round(mean_latency_s, 2) AS mean_latency_s
FROM model_call_stats
ORDER BY role, model;
