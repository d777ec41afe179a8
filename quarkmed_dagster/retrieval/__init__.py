"""Knowledge corpus and evidence retrieval (embedded tantivy or Elasticsearch).

documents -> passages (sentence chunks, content-hash ids) -> corpus_version (hash of the
passage set) -> an index per version -> per-query top-k hits -> query_evidence rows and
one evidence fingerprint per query (hash of the ordered passage ids and content hashes).

Backends share the ``Retriever`` protocol: ``build(passages, version)``,
``has_version(version)``, ``search(texts, k, version, mode)`` with mode bm25 / dense /
hybrid (client-side reciprocal-rank fusion). ``EmbeddedIndex`` (default) keeps files under
``index_dir/<version>``; ``retrieval.elastic.ElasticsearchIndex`` builds
``<prefix>-<version>`` and moves the ``<prefix>`` alias only after a complete build.

Downstream stages read evidence text through the ``query_evidence_text`` view (current
corpus version, joined to passages and documents).
"""

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
