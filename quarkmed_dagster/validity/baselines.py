"""Trivial predictors every validity figure is compared with.

Answer length (words), token overlap (share of the first text's content words found in the
second) and MiniLM cosine (whole texts, or the best sentence of the second text): none of
them reads a rubric or a judge, so an instrument that does not beat them measures nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from quarkmed_dagster.baselines.text import split_sentences, words
from quarkmed_dagster.embeddings import get_embedder

_STOP_WORDS = (
    "a an the and or of to in on for with is are was were be been it this that what how why "
    "do does did can could should would i my me you your we our they their he she his her "
    "at by from as if so not no but about have has had will any some there which who"
)
_STOP = frozenset(_STOP_WORDS.split())


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in _STOP and len(w) > 1}


def answer_length(texts: Sequence[str]) -> np.ndarray:
    return np.array([len(words(t or "")) for t in texts], dtype=float)


def token_overlap(first: Sequence[str], second: Sequence[str]) -> np.ndarray:
    out = []
    for a, b in zip(first, second, strict=True):
        wanted = content_words(a)
        out.append(len(wanted & content_words(b)) / len(wanted) if wanted else 0.0)
    return np.array(out, dtype=float)


def embedding_cosine(first: Sequence[str], second: Sequence[str]) -> np.ndarray:
    embedder = get_embedder()
    a, b = embedder.encode(list(first)), embedder.encode(list(second))
    return (a * b).sum(axis=1) if len(first) else np.zeros(0)


def max_sentence_cosine(statements: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """Cosine of each statement with the most similar sentence of its text."""
    embedder = get_embedder()
    out = []
    vectors = embedder.encode(list(statements))
    for vector, text in zip(vectors, texts, strict=True):
        sentences = split_sentences(text) or [text or " "]
        out.append(float((embedder.encode(sentences) @ vector).max()))
    return np.array(out, dtype=float)
