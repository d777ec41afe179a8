SELECT scope, mode, judges, n_judges, n_units, n_missing, fleiss_kappa, krippendorff_alpha
FROM judge_panel_stats
WHERE panel_run_id = (SELECT arg_max(panel_run_id, created_at) FROM judge_panel_stats)
ORDER BY scope = 'all' DESC, scope;
