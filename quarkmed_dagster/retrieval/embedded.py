"""Embedded retrieval: tantivy BM25, optional MiniLM dense vectors, hybrid by RRF.

One index folder per corpus version (``<index_dir>/<corpus_version>``); a folder is used
only after its ``COMPLETE`` marker is written, so a crashed build is simply rebuilt.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tantivy

from quarkmed_dagster.retrieval.backend import ModeSearch
from quarkmed_dagster.retrieval.records import Hit, Passage, RetrievalBackendError
from quarkmed_dagster.retrieval.terms import query_terms

COMPLETE_MARKER = "COMPLETE"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("passage_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", stored=False, tokenizer_name="default")
    return builder.build()


class EmbeddedIndex(ModeSearch):
    """The default backend: no server, files under ``index_dir``."""

    name = "embedded"

    def __init__(self, index_dir: Path, dense: bool = False, keep_versions: int = 3) -> None:
        self.index_dir = Path(index_dir)
        self.dense = dense
        self.keep_versions = keep_versions
        self._open: dict[str, tantivy.Index] = {}
        self._vectors: dict[str, tuple[list[str], np.ndarray]] = {}

    def _folder(self, corpus_version: str) -> Path:
        return self.index_dir / corpus_version

    def has_version(self, corpus_version: str) -> bool:
        return (self._folder(corpus_version) / COMPLETE_MARKER).exists()

    def build(self, passages: Sequence[Passage], corpus_version: str) -> str:
        folder = self._folder(corpus_version)
        if self.has_version(corpus_version) and (
            not self.dense or (folder / "vectors.npy").exists()
        ):
            return str(folder)
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "bm25").mkdir(parents=True)
        index = tantivy.Index(_schema(), path=str(folder / "bm25"))
        writer = index.writer(heap_size=128_000_000, num_threads=1)
        for passage in passages:
            writer.add_document(tantivy.Document(passage_id=passage.passage_id, text=passage.text))
        writer.commit()
        writer.wait_merging_threads()
        if self.dense:
            from quarkmed_dagster.embeddings import get_embedder

            vectors = get_embedder().encode([p.text for p in passages])
            np.save(folder / "vectors.npy", vectors)
            (folder / "vector_ids.json").write_text(json.dumps([p.passage_id for p in passages]))
        (folder / COMPLETE_MARKER).write_text(corpus_version)
        self._prune(keep=corpus_version)
        return str(folder)

    def _prune(self, keep: str) -> None:
        versions = sorted(
            (p for p in self.index_dir.iterdir() if (p / COMPLETE_MARKER).exists()),
            key=lambda p: (p / COMPLETE_MARKER).stat().st_mtime,
            reverse=True,
        )
        for stale in versions[self.keep_versions :]:
            if stale.name != keep:
                shutil.rmtree(stale, ignore_errors=True)

    def _index(self, corpus_version: str) -> tantivy.Index:
        if corpus_version not in self._open:
            if not self.has_version(corpus_version):
                raise RetrievalBackendError(
                    f"no embedded index for corpus version {corpus_version} under "
                    f"{self.index_dir}: re-materialize knowledge_corpus"
                )
            self._open[corpus_version] = tantivy.Index.open(
                str(self._folder(corpus_version) / "bm25")
            )
        return self._open[corpus_version]

    def search_bm25(self, texts: Sequence[str], k: int, corpus_version: str) -> list[list[Hit]]:
        index = self._index(corpus_version)
        searcher = index.searcher()
        results = []
        for text in texts:
            terms = query_terms(text)
            if not terms:
                results.append([])
                continue
            query = index.parse_query(terms, ["text"])
            hits = searcher.search(query, k).hits
            results.append(
                [
                    Hit(searcher.doc(addr)["passage_id"][0], float(score), "bm25")
                    for score, addr in hits
                ]
            )
        return results

    def search_dense(self, texts: Sequence[str], k: int, corpus_version: str) -> list[list[Hit]]:
        from quarkmed_dagster.embeddings import get_embedder

        if corpus_version not in self._vectors:
            folder = self._folder(corpus_version)
            ids = json.loads((folder / "vector_ids.json").read_text())
            self._vectors[corpus_version] = (ids, np.load(folder / "vectors.npy"))
        ids, matrix = self._vectors[corpus_version]
        sims = get_embedder().encode(list(texts)) @ matrix.T
        top = min(k, len(ids))
        results = []
        for row in sims:
            best = np.argpartition(-row, top - 1)[:top]
            best = best[np.argsort(-row[best])]
            results.append([Hit(ids[i], float(row[i]), "dense") for i in best])
        return results
