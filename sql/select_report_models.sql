-- Every model of the warehouse for the report's colours: candidates (kind 0) before the
-- models of other roles (kind 1), each group by name.
SELECT kind, model
FROM (
    SELECT DISTINCT 0 AS kind, candidate_model AS model FROM candidate_responses
    UNION
    SELECT DISTINCT 1 AS kind, model FROM llm_calls
)
ORDER BY kind, model
