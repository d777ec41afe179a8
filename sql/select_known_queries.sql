SELECT query_id, CAST(turns AS VARCHAR) AS turns FROM queries WHERE batch_id <> ?
