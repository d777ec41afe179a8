"""Analyst marts: SQL views over scored results (``sql/mart_*.sql``) created once the tables
they read exist, next to the always-present ``sql/create_view_*.sql`` views."""
