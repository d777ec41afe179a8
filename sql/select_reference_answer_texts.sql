SELECT query_id, answer_text
FROM reference_answers
