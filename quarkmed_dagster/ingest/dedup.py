"""Exact duplicates (normalised-text hash) and near duplicates (MinHash LSH)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
# The LSH index only proposes candidates and cannot be built stricter than this with
# NUM_PERM permutations; the Jaccard comparison in ``check`` applies the real threshold.
LSH_MAX_THRESHOLD = 0.9
_WORD = re.compile(r"\w+")


def dedup_key(text: str) -> str:
    """Case, punctuation and spacing do not make a different question."""
    return hashlib.sha1(" ".join(_WORD.findall(text.lower())).encode()).hexdigest()


def _shingles(text: str, size: int = 3) -> list[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return [" ".join(words).encode()] if words else [b""]
    return [" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)]


@dataclass(frozen=True)
class DuplicateMatch:
    dropped_id: str
    surviving_id: str
    method: str
    similarity: float


class Deduplicator:
    """Keeps the first of each group; later ones are reported as duplicates of it."""

    def __init__(self, threshold: float = 0.85) -> None:
        self.threshold = threshold
        self._exact: dict[str, str] = {}
        self._lsh = MinHashLSH(threshold=min(threshold, LSH_MAX_THRESHOLD), num_perm=NUM_PERM)
        self._hashes: dict[str, MinHash] = {}

    def _minhash(self, text: str) -> MinHash:
        minhash = MinHash(num_perm=NUM_PERM, seed=1)
        minhash.update_batch(_shingles(text))
        return minhash

    def add_known(self, query_id: str, text: str) -> None:
        """Queries stored by earlier batches: they always survive."""
        if dedup_key(text) not in self._exact:
            self.check(query_id, text)

    def check(self, query_id: str, text: str) -> DuplicateMatch | None:
        key = dedup_key(text)
        if key in self._exact:
            # The same id again means the query is already stored (by an earlier batch).
            return DuplicateMatch(query_id, self._exact[key], "exact", 1.0)
        minhash = self._minhash(text)
        candidates = self._lsh.query(minhash)
        if candidates:
            scored = [(self._hashes[c].jaccard(minhash), c) for c in candidates]
            similarity, survivor = max(scored)
            if similarity >= self.threshold:
                return DuplicateMatch(query_id, survivor, "near", round(float(similarity), 4))
        self._exact[key] = query_id
        self._lsh.insert(query_id, minhash)
        self._hashes[query_id] = minhash
        return None


__all__ = ["Deduplicator", "DuplicateMatch", "dedup_key"]
