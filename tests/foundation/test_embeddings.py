"""The offline MiniLM encoder gives unit vectors that rank paraphrases above unrelated text."""

from __future__ import annotations

import numpy as np

from quarkmed_dagster.embeddings import DIMENSION, cosine_matrix, get_embedder


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
    texts = [f"Dose of ibuprofen for a child weighing {k} kg" for k in range(10, 30)]
    embedder = get_embedder()
    together = embedder.encode(texts)
    one_by_one = np.vstack([embedder.encode([t]) for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-3)
    assert embedder.encode([]).shape == (0, DIMENSION)
