SELECT query_id, turns FROM queries WHERE list_contains(?::VARCHAR[], query_id)
