"""Candidate answers per (query, model) through a gateway, as a candidate_responses frame."""

from __future__ import annotations

import polars as pl

from quarkmed_dagster.llm.types import Gateway
from quarkmed_dagster.responses.answers import candidate_rows


def generate_responses(
    gateway: Gateway,
    queries: pl.DataFrame,
    reference_by_query: dict[str, str],
    models: list[str],
) -> pl.DataFrame:
    """Every model answers every query (``queries``: query_id, turns). Replies are read by
    ``responses.answers`` (wrappers stripped, one re-ask, then 'unparseable'); a failed call
    is a row with NULL text and status 'failed'."""
    rows = candidate_rows(
        gateway, list(queries.select("query_id", "turns").iter_rows()), models, reference_by_query
    )
    return pl.DataFrame(rows, infer_schema_length=None)
