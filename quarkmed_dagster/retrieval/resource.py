"""Dagster resource choosing the retrieval backend from settings."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from quarkmed_dagster.retrieval.backend import Retriever
from quarkmed_dagster.retrieval.embedded import EmbeddedIndex
from quarkmed_dagster.settings import get_settings


class RetrievalResource(dg.ConfigurableResource):
    """Embedded tantivy index unless an Elasticsearch URL is configured."""

    index_dir: str
    es_url: str | None = None
    es_index_prefix: str = "quarkmed-passages"
    top_k: int = 8
    mode: str = "bm25"
    # Lay-to-clinical expansion measured slightly worse on MedQuAD questions
    # (benchmarks/bench_retrieval.py), so it is opt-in.
    expand_terms: bool = False
    keep_versions: int = 3

    def retriever(self) -> Retriever:
        dense = self.mode in ("dense", "hybrid")
        if self.es_url:
            from quarkmed_dagster.retrieval.elastic import ElasticsearchIndex

            api_key = get_settings().es_api_key  # the key never enters resource config
            return ElasticsearchIndex(
                self.es_url,
                api_key=api_key.get_secret_value() if api_key else None,
                prefix=self.es_index_prefix,
                dense=dense,
                keep_versions=self.keep_versions,
            )
        return EmbeddedIndex(Path(self.index_dir), dense=dense, keep_versions=self.keep_versions)
