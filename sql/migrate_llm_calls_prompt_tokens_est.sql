ALTER TABLE llm_calls ADD COLUMN IF NOT EXISTS prompt_tokens_est BIGINT;
