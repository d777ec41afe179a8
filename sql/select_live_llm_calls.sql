-- Of the given call_ids, those whose llm_calls row is a live successful call (status ok):
-- a later cache hit of the same call under the same run label must not replace it.
SELECT call_id FROM llm_calls
WHERE status = 'ok' AND call_id IN (SELECT unnest(?::VARCHAR[]))
