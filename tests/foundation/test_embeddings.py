"""The offline MiniLM encoder gives unit vectors that rank paraphrases above unrelated text;
its vector cache (memory and file) returns exactly what the model computes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from quarkmed_dagster.embeddings import DIMENSION, MiniLMEmbedder, cosine_matrix, get_embedder
from quarkmed_dagster.vector_cache import VectorCache

TEXTS = [f"Dose of ibuprofen for a child weighing {k} kg" for k in range(10, 30)] + [
    "Black stools or vomiting blood need urgent care; call your doctor the same day. " * 12,
    "Rest.",
]


def test_paraphrase_is_closer_than_unrelated_text() -> None:
    vectors = get_embedder().encode(
        [
            "What are the symptoms of type 2 diabetes?",
            "Signs that someone has diabetes mellitus type II",
            "How do I change a flat bicycle tyre?",
        ]
    )
    assert vectors.shape == (3, DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = cosine_matrix(vectors, vectors)
    assert sims[0, 1] > 0.6
    assert sims[0, 2] < 0.2


def test_batching_does_not_change_vectors() -> None:
    # Two encoders, so the one-by-one side really runs the model instead of reading cache.
    together = MiniLMEmbedder().encode(TEXTS)
    single = MiniLMEmbedder()
    one_by_one = np.vstack([single.encode([t]) for t in TEXTS])
    assert single.encoded == len(TEXTS)
    assert np.allclose(together, one_by_one, atol=1e-5)
    assert single.encode([]).shape == (0, DIMENSION)


def test_cached_vectors_are_the_model_vectors_and_persist_across_encoders(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cache" / "embeddings.sqlite"
    first = MiniLMEmbedder(cache_path=path)
    computed = first.encode(TEXTS + TEXTS[:3])  # repeats inside one call encoded once
    assert first.encoded == len(TEXTS)
    again = first.encode(list(reversed(TEXTS)))
    assert first.encoded == len(TEXTS)  # all from memory
    assert np.array_equal(again, computed[: len(TEXTS)][::-1])

    second = MiniLMEmbedder(cache_path=path)  # a later process: only the file is warm
    from_file = second.encode(TEXTS)
    assert second.encoded == 0
    assert second.cache.stats()["hits_file"] == len(TEXTS)
    assert np.array_equal(from_file, computed[: len(TEXTS)])

    from_file[0] = 0.0  # callers get copies: the cache is never modified through them
    assert np.array_equal(second.encode(TEXTS[:1]), computed[:1])


def test_concurrent_callers_encode_each_text_once() -> None:
    embedder = MiniLMEmbedder()
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(embedder.encode(TEXTS))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert embedder.encoded == len(TEXTS)
    assert len(results) == 4
    assert all(np.array_equal(r, results[0]) for r in results)


def test_unusable_cache_file_falls_back_to_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory should be")
    embedder = MiniLMEmbedder(cache_path=blocked / "embeddings.sqlite")
    assert embedder.encode(TEXTS[:2]).shape == (2, DIMENSION)
    assert embedder.encode(TEXTS[:2]).shape == (2, DIMENSION)
    assert embedder.encoded == 2


def test_vector_cache_evicts_least_recently_used_and_separates_models(tmp_path: Path) -> None:
    cache = VectorCache("model-a", 3, max_entries=2)
    a, b, c = (cache.key(t) for t in "abc")
    cache.put_many({a: np.ones(3), b: np.zeros(3)})
    assert set(cache.get_many([a])) == {a}  # touching a makes b the oldest
    cache.put_many({c: np.full(3, 2.0)})
    assert set(cache.get_many([a, b, c])) == {a, c}
    assert VectorCache("model-b", 3).key("a") != a

    path = tmp_path / "v.sqlite"
    VectorCache("model-a", 3, path=path).put_many({a: np.arange(3.0)})
    assert VectorCache("model-b", 3, path=path).get_many([VectorCache("model-b", 3).key("a")]) == {}
    reread = VectorCache("model-a", 3, path=path).get_many([a])
    assert np.array_equal(reread[a], np.arange(3.0, dtype=np.float32))
