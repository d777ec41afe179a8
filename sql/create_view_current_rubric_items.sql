CREATE OR REPLACE VIEW current_rubric_items AS
SELECT i.*
FROM rubric_items AS i
JOIN rubric_sets AS s
  ON s.query_id = i.query_id AND s.rubric_set_version = i.rubric_set_version
WHERE s.is_current AND s.status IN ('ok', 'carried', 'reverified');
