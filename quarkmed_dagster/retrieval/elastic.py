"""Elasticsearch retrieval: one fresh index per corpus version behind an alias.

Works on the minimal server distribution (no analysis-common, reindex or painless): only
the core ``standard`` analyzer, client-side bulk indexing, client-side RRF for hybrid.
A version is built in its own index; only a complete build moves the alias, in a single
``update_aliases`` call, so readers never see a half-built corpus. A server that goes away
mid-run is a ``RetrievalBackendError`` naming the URL and the remedy, never a bare
transport error; the alias is left as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from elastic_transport import ConnectionError as TransportConnectionError
from elasticsearch import ApiError, Elasticsearch, helpers

from quarkmed_dagster.retrieval.backend import ModeSearch
from quarkmed_dagster.retrieval.records import (
    Hit,
    IndexBuildError,
    Passage,
    RetrievalBackendError,
)
from quarkmed_dagster.retrieval.terms import query_terms

BULK_CHUNK = 500
SEARCH_BATCH = 250


class ElasticsearchIndex(ModeSearch):
    name = "elasticsearch"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        prefix: str = "quarkmed-passages",
        dense: bool = False,
        keep_versions: int = 3,
        bulk_retries: int = 2,
        client: Elasticsearch | None = None,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.alias = prefix
        self.dense = dense
        self.keep_versions = keep_versions
        self.bulk_retries = bulk_retries
        self.client = client or Elasticsearch(url, api_key=api_key, request_timeout=60)

    def index_name(self, corpus_version: str) -> str:
        return f"{self.prefix}-{corpus_version}"

    def _unreachable(self, what: str) -> RetrievalBackendError:
        return RetrievalBackendError(
            f"Elasticsearch at {self.url} is unreachable while trying to {what}. Start a "
            "node (bash scripts/elasticsearch.sh start) or unset QUARKMED_ES_URL to use "
            "the embedded index."
        )

    def _call(self, what: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return fn(*args, **kwargs)
        except TransportConnectionError as exc:
            raise self._unreachable(what) from exc

    def check_reachable(self) -> None:
        self._call("check cluster health", self.client.cluster.health, timeout="10s")

    def current_version(self) -> str | None:
        aliases = self._call(
            "read the alias",
            self.client.options(ignore_status=404).indices.get_alias,
            name=self.alias,
        )
        names = [n for n in dict(aliases) if n.startswith(f"{self.prefix}-")]
        return names[0][len(self.prefix) + 1 :] if names else None

    def has_version(self, corpus_version: str) -> bool:
        name = self.index_name(corpus_version)
        exists = self._call("check an index", self.client.indices.exists, index=name)
        if not exists:
            return False
        mapping = self._call("read a mapping", self.client.indices.get_mapping, index=name)
        meta = mapping[name]["mappings"].get("_meta", {})
        return bool(meta.get("complete"))

    def _mappings(self) -> dict:
        properties: dict = {
            "passage_id": {"type": "keyword"},
            "text": {"type": "text", "analyzer": "standard"},
        }
        if self.dense:
            properties["vector"] = {
                "type": "dense_vector",
                "dims": 384,
                "index": True,
                "similarity": "cosine",
            }
        return {"properties": properties, "_meta": {"complete": False}}

    def _actions(
        self, index: str, passages: Sequence[Passage], vectors: Sequence[Sequence[float]] | None
    ) -> Iterator[dict]:
        for i, passage in enumerate(passages):
            source: dict = {"passage_id": passage.passage_id, "text": passage.text}
            if vectors is not None:
                source["vector"] = list(map(float, vectors[i]))
            yield {"_index": index, "_id": passage.passage_id, "_source": source}

    def _bulk_with_retry(self, index: str, batch: list[dict]) -> None:
        for attempt in range(self.bulk_retries + 1):
            _, errors = helpers.bulk(
                self.client, batch, raise_on_error=False, raise_on_exception=False, max_retries=2
            )
            if not errors:
                return
            failed_ids = {next(iter(e.values())).get("_id") for e in errors}
            batch = [a for a in batch if a["_id"] in failed_ids]
            if attempt == self.bulk_retries:
                first = next(iter(errors[0].values()))
                raise IndexBuildError(
                    f"{len(batch)} passages could not be indexed into {index} after "
                    f"{self.bulk_retries + 1} attempts; first error: {first.get('error')}"
                )

    def build(self, passages: Sequence[Passage], corpus_version: str) -> str:
        index = self.index_name(corpus_version)
        self.check_reachable()
        if not self.has_version(corpus_version):
            self.client.options(ignore_status=404).indices.delete(index=index)
            self._call(
                "create an index",
                self.client.indices.create,
                index=index,
                mappings=self._mappings(),
                settings={"number_of_shards": 1, "number_of_replicas": 0},
            )
            vectors = None
            if self.dense:
                from quarkmed_dagster.embeddings import get_embedder

                vectors = get_embedder().encode([p.text for p in passages])
            try:
                self._fill(index, passages, vectors)
            except (IndexBuildError, RetrievalBackendError):
                # The alias was never moved; drop the half-built index (best effort: a server
                # that went away keeps it, never marked complete, and the next build drops it).
                with contextlib.suppress(TransportConnectionError, ApiError):
                    self.client.options(ignore_status=(404, 503)).indices.delete(index=index)
                raise
        self.switch_alias(corpus_version)
        self._prune(keep=index)
        return index

    def _fill(
        self, index: str, passages: Sequence[Passage], vectors: Sequence[Sequence[float]] | None
    ) -> None:
        actions = list(self._actions(index, passages, vectors))
        try:
            for start in range(0, len(actions), BULK_CHUNK):
                self._bulk_with_retry(index, actions[start : start + BULK_CHUNK])
            self.client.indices.refresh(index=index)
            # A version's index is read-only once built: one segment searches fastest.
            self.client.options(request_timeout=900).indices.forcemerge(
                index=index, max_num_segments=1
            )
            count = self.client.count(index=index)["count"]
        except TransportConnectionError as exc:
            raise self._unreachable(f"index passages into {index}") from exc
        except ApiError as exc:
            raise IndexBuildError(f"indexing into {index} failed: {exc}") from exc
        expected = len({p.passage_id for p in passages})
        if count != expected:
            raise IndexBuildError(f"{index} holds {count} passages, expected {expected}")
        self.client.indices.put_mapping(index=index, meta={"complete": True})

    def switch_alias(self, corpus_version: str) -> None:
        """Point the alias at this version's index in one atomic call."""
        index = self.index_name(corpus_version)
        actions: list[dict] = [{"remove": {"index": f"{self.prefix}-*", "alias": self.alias}}]
        if not self.current_version():
            actions = []
        actions.append({"add": {"index": index, "alias": self.alias}})
        self._call("move the alias", self.client.indices.update_aliases, actions=actions)

    def _prune(self, keep: str) -> None:
        indices = self._call("list old indices", self.client.indices.get, index=f"{self.prefix}-*")
        dated = sorted(
            indices.items(),
            key=lambda item: int(item[1]["settings"]["index"]["creation_date"]),
            reverse=True,
        )
        for name, _ in dated[self.keep_versions :]:
            if name != keep:
                self._call("drop an old index", self.client.indices.delete, index=name)

    def _msearch(self, index: str, bodies: list[dict]) -> list[list[Hit]]:
        searches: list[dict] = []
        for body in bodies:
            searches.extend([{"index": index}, body])
        # Documents are stored with _id = passage_id: no _source fetch, trimmed responses.
        # "status" keeps every response in the list (a filtered-out empty one would shift
        # the alignment of queries and results).
        response = self._call(
            "search",
            self.client.msearch,
            searches=searches,
            filter_path=[
                "responses.status",
                "responses.hits.hits._id",
                "responses.hits.hits._score",
                "responses.error",
            ],
        )
        items = response.get("responses", [])
        if len(items) != len(bodies):
            raise RetrievalBackendError(
                f"{index}: {len(items)} responses for {len(bodies)} queries"
            )
        out = []
        for item in items:
            if "error" in item:
                raise RetrievalBackendError(f"search in {index} failed: {item['error']}")
            out.append(
                [
                    Hit(h["_id"], float(h["_score"]), "bm25")
                    for h in item.get("hits", {}).get("hits", [])
                ]
            )
        return out

    def search_bm25(self, texts: Sequence[str], k: int, corpus_version: str) -> list[list[Hit]]:
        index = self.index_name(corpus_version)
        results: list[list[Hit]] = []
        for start in range(0, len(texts), SEARCH_BATCH):
            bodies = [
                {
                    "query": {"match": {"text": query_terms(t) or "_"}},
                    "size": k,
                    "_source": False,
                    "track_total_hits": False,
                }
                for t in texts[start : start + SEARCH_BATCH]
            ]
            results.extend(self._msearch(index, bodies))
        return results

    def search_dense(self, texts: Sequence[str], k: int, corpus_version: str) -> list[list[Hit]]:
        from quarkmed_dagster.embeddings import get_embedder

        index = self.index_name(corpus_version)
        vectors = get_embedder().encode(list(texts))
        results: list[list[Hit]] = []
        for start in range(0, len(texts), SEARCH_BATCH):
            bodies = [
                {
                    "knn": {
                        "field": "vector",
                        "query_vector": list(map(float, v)),
                        "k": k,
                        "num_candidates": max(50, k * 5),
                    },
                    "size": k,
                    "_source": False,
                    "track_total_hits": False,
                }
                for v in vectors[start : start + SEARCH_BATCH]
            ]
            hits = self._msearch(index, bodies)
            results.extend([[Hit(h.passage_id, h.score, "dense") for h in r] for r in hits])
        return results
