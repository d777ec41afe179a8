"""Build a corpus version: documents -> passages -> version hash, as frames to store."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from quarkmed_dagster.retrieval.chunking import chunk_document, corpus_version
from quarkmed_dagster.retrieval.documents import documents_from_folders
from quarkmed_dagster.retrieval.records import Document, Passage


@dataclass(frozen=True)
class CorpusBuild:
    version: str
    documents: list[Document]
    passages: list[Passage]

    def documents_frame(self) -> pl.DataFrame:
        rows = [
            asdict(d) | {"reference_of": list(d.reference_of), "corpus_version": self.version}
            for d in self.documents
        ]
        return pl.DataFrame(rows, schema=_DOCUMENT_SCHEMA)

    def passages_frame(self) -> pl.DataFrame:
        rows = [asdict(p) | {"corpus_version": self.version} for p in self.passages]
        return pl.DataFrame(rows, schema=_PASSAGE_SCHEMA)


_DOCUMENT_SCHEMA = {
    "doc_id": pl.String,
    "title": pl.String,
    "url": pl.String,
    "source": pl.String,
    "license": pl.String,
    "text": pl.String,
    "reference_of": pl.List(pl.String),
    "corpus_version": pl.String,
}
_PASSAGE_SCHEMA = {
    "passage_id": pl.String,
    "doc_id": pl.String,
    "ordinal": pl.Int64,
    "text": pl.String,
    "content_hash": pl.String,
    "n_tokens": pl.Int64,
    "corpus_version": pl.String,
}


def build_corpus(documents: list[Document], max_tokens: int = 220) -> CorpusBuild:
    documents = sorted(documents, key=lambda d: d.doc_id)
    passages: dict[str, Passage] = {}
    for document in documents:
        for passage in chunk_document(document, max_tokens=max_tokens):
            passages.setdefault(passage.passage_id, passage)
    ordered = list(passages.values())
    return CorpusBuild(corpus_version(ordered), documents, ordered)


def build_corpus_from_folders(folders: list[Path], max_tokens: int = 220) -> CorpusBuild:
    return build_corpus(documents_from_folders(folders), max_tokens=max_tokens)
