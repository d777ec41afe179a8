"""Exact duplicates (normalised-text hash) and near duplicates (MinHash LSH).

Stored queries keep their signature (``Signature``: key, MinHash values, LSH band buckets)
in the warehouse, so a batch hashes only its own rows and looks up the stored queries that
share a key or a band bucket with them (``KnownSignatures``): its cost does not grow with
the number of stored queries.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

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
class Signature:
    """What deduplication needs of one query, without its text."""

    query_id: str
    key: str  # dedup_key of the text
    hashvalues: np.ndarray  # MinHash values (unsigned ints, NUM_PERM of them)

    def buckets(self, threshold: float) -> list[int]:
        """One LSH bucket id per band (signed 64-bit; the band index is part of it)."""
        return [
            int.from_bytes(
                hashlib.blake2b(
                    bytes([band]) + self.hashvalues[start:end].tobytes(), digest_size=8
                ).digest(),
                "big",
                signed=True,
            )
            for band, (start, end) in enumerate(_hashranges(_lsh_threshold(threshold)))
        ]


class KnownSignatures(Protocol):
    """Signatures of stored queries (earlier batches)."""

    def matching(self, signatures: Sequence[Signature], threshold: float) -> list[Signature]:
        """The stored signatures sharing a key or an LSH bucket with any of ``signatures``,
        in stored order."""
        ...


class KnownTexts:
    """Stored queries given as texts: hashed here (each call re-hashes them all)."""

    def __init__(self, queries: Iterable[tuple[str, str]]) -> None:
        self.queries = list(queries)

    def matching(self, signatures: Sequence[Signature], threshold: float) -> list[Signature]:
        keys = {s.key for s in signatures}
        buckets = {b for s in signatures for b in s.buckets(threshold)}
        known = [signature_of(qid, text) for qid, text in self.queries]
        return [k for k in known if k.key in keys or not buckets.isdisjoint(k.buckets(threshold))]


def _lsh_threshold(threshold: float) -> float:
    return min(threshold, LSH_MAX_THRESHOLD)


@lru_cache(maxsize=8)
def _hashranges(lsh_threshold: float) -> tuple[tuple[int, int], ...]:
    return tuple(MinHashLSH(threshold=lsh_threshold, num_perm=NUM_PERM).hashranges)


_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=1)  # permutations drawn once, not per row


def signature_of(query_id: str, text: str) -> Signature:
    minhash = MinHash(
        num_perm=NUM_PERM, seed=1, permutations=_TEMPLATE.permutations, scheme=_TEMPLATE.scheme
    )
    minhash.update_batch(_shingles(text))
    return Signature(query_id, dedup_key(text), minhash.hashvalues.copy())


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
        self._lsh = MinHashLSH(threshold=_lsh_threshold(threshold), num_perm=NUM_PERM)
        self._hashes: dict[str, LeanMinHash] = {}

    def add_known(self, query_id: str, text: str) -> None:
        """Queries stored by earlier batches: they always survive."""
        self.add_known_signature(signature_of(query_id, text))

    def add_known_signature(self, signature: Signature) -> None:
        """A stored query by its signature (no text to hash)."""
        if signature.key not in self._exact:
            self.check_signature(signature)

    def check(self, query_id: str, text: str) -> DuplicateMatch | None:
        return self.check_signature(signature_of(query_id, text))

    def check_signature(self, signature: Signature) -> DuplicateMatch | None:
        query_id, key = signature.query_id, signature.key
        if key in self._exact:
            # The same id again means the query is already stored (by an earlier batch).
            return DuplicateMatch(query_id, self._exact[key], "exact", 1.0)
        minhash = LeanMinHash(seed=1, hashvalues=signature.hashvalues, scheme=_TEMPLATE.scheme)
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


__all__ = [
    "Deduplicator",
    "DuplicateMatch",
    "KnownSignatures",
    "KnownTexts",
    "Signature",
    "dedup_key",
    "signature_of",
]
