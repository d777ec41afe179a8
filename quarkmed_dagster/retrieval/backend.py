"""The retrieval contract shared by the embedded index and Elasticsearch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from quarkmed_dagster.retrieval.fusion import reciprocal_rank_fusion
from quarkmed_dagster.retrieval.records import Hit, Passage

MODES = ("bm25", "dense", "hybrid")


class Retriever(Protocol):
    name: str

    def build(self, passages: Sequence[Passage], corpus_version: str) -> str: ...

    def has_version(self, corpus_version: str) -> bool: ...

    def search(
        self, texts: Sequence[str], k: int, corpus_version: str, mode: str = "bm25"
    ) -> list[list[Hit]]: ...


class ModeSearch:
    """``search`` by mode on top of a backend's ``search_bm25`` and ``search_dense``."""

    def search_bm25(self, texts: Sequence[str], k: int, corpus_version: str) -> list[list[Hit]]:
        raise NotImplementedError

    def search_dense(self, texts: Sequence[str], k: int, corpus_version: str) -> list[list[Hit]]:
        raise NotImplementedError

    def search(
        self, texts: Sequence[str], k: int, corpus_version: str, mode: str = "bm25"
    ) -> list[list[Hit]]:
        """Top-k hits per text; repeated texts (common in query sets) are searched once."""
        unique = list(dict.fromkeys(texts))
        if len(unique) < len(texts):
            found = dict(zip(unique, self.search(unique, k, corpus_version, mode), strict=True))
            return [list(found[t]) for t in texts]
        if mode == "bm25":
            return self.search_bm25(texts, k, corpus_version)
        if mode == "dense":
            return self.search_dense(texts, k, corpus_version)
        if mode == "hybrid":
            lexical = self.search_bm25(texts, k * 2, corpus_version)
            dense = self.search_dense(texts, k * 2, corpus_version)
            return [reciprocal_rank_fusion([a, b], k) for a, b in zip(lexical, dense, strict=True)]
        raise ValueError(f"unknown retrieval mode {mode!r} (one of {', '.join(MODES)})")
