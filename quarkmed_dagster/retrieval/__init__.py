"""Knowledge corpus and evidence retrieval (embedded tantivy or Elasticsearch)."""

from quarkmed_dagster.retrieval.backend import Retriever
from quarkmed_dagster.retrieval.corpus import CorpusBuild, build_corpus, build_corpus_from_folders
from quarkmed_dagster.retrieval.embedded import EmbeddedIndex
from quarkmed_dagster.retrieval.evidence import retrieve_evidence
from quarkmed_dagster.retrieval.records import (
    Document,
    Hit,
    IndexBuildError,
    Passage,
    RetrievalBackendError,
)

__all__ = [
    "CorpusBuild",
    "Document",
    "EmbeddedIndex",
    "Hit",
    "IndexBuildError",
    "Passage",
    "RetrievalBackendError",
    "Retriever",
    "build_corpus",
    "build_corpus_from_folders",
    "retrieve_evidence",
]
