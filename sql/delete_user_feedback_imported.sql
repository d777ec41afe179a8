-- Rows the user_feedback asset imported from the feedback inbox (rebuilt on every run);
-- rows written by other means (source_file NULL) are left alone.
DELETE FROM user_feedback WHERE source_file IS NOT NULL;
