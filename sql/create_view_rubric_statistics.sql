CREATE OR REPLACE VIEW rubric_statistics AS
SELECT rubric_set_version, corpus_version, tier, tag,
       count(*) AS n_items,
       count(DISTINCT query_id) AS n_queries,
       avg(weight) AS mean_weight,
       avg(support_ratio) AS mean_support_ratio,
       avg(CASE WHEN verification = 'supported' THEN 1.0 ELSE 0.0 END) AS share_supported,
       avg(json_array_length(evidence_passage_ids)) AS mean_evidence_passages
FROM rubric_items
GROUP BY ALL;
