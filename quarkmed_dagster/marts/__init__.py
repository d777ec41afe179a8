"""Analyst marts: SQL views over scored results (``sql/mart_*.sql``) created once the tables
they read exist, next to the always-present ``sql/create_view_*.sql`` views, and the
``leaderboard_dimensions`` table (bootstrap intervals, computed by ``marts.dimensions``)."""
