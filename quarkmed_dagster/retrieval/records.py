"""Plain records of the knowledge corpus and of retrieval results."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    url: str | None
    source: str
    license: str
    text: str
    # Query ids this document is the reference answer / rubric source of (declared by the
    # corpus record): never evidence for those queries (``retrieval.leakage``).
    reference_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    passage_id: str
    doc_id: str
    ordinal: int
    text: str
    content_hash: str
    n_tokens: int


@dataclass(frozen=True)
class Hit:
    passage_id: str
    score: float
    retriever: str


class RetrievalBackendError(RuntimeError):
    """The retrieval backend cannot serve; the message says where and what to do."""


class IndexBuildError(RuntimeError):
    """A corpus version could not be indexed; the current version was left untouched."""
