"""Offline entailment score: does a text state a given statement?

A small logistic model over cheap features of (statement, text): the best sentence cosine,
content-word and word-stem recall of the statement in the text and in its best sentence,
numbers of the statement missing from the text, a negation conflict with the best sentence and the
statement's length. Its weights are fitted once on a declared dev split
(``benchmarks/fit_entailment.py``: K-QA ``questions_w_answers`` statements vs their own
physician answer and hard negatives, plus the dev half of the ExpertQA claims; nothing of
the reported validity sets) and stored in ``entailment_model.json`` beside this module, so
the judge is deterministic and never fitted at run time. Weights of the features that are
evidence for the statement are bounded at >= 0 (see the fit script).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from quarkmed_dagster.baselines.text import CJK_RUN, is_negated, split_sentences, words

MODEL_FILE = Path(__file__).with_name("entailment_model.json")
FEATURES = (
    "best_sentence_cosine",
    "word_recall",
    "stem_recall",
    "best_sentence_word_recall",
    "missing_numbers",
    "negation_conflict",
    "statement_words",
)
_STOP_WORDS = (
    "a an the and or of to in on for with is are was were be been being it its this that "
    "these those what how why do does did can could should would may might i my me you "
    "your we our they their them he she his her at by from as if so but about have has had "
    "will any some there which who also such than then more most other into over only very"
)
_STOP = frozenset(_STOP_WORDS.split())
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def content_words(text: str) -> set[str]:
    """Latin-script content words, plus character bigrams of CJK runs (no spaces there)."""
    found = {w for w in words(text) if w not in _STOP and len(w) > 1}
    for run in CJK_RUN.findall(text or ""):
        found.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return found


def _stems(tokens: set[str]) -> set[str]:
    return {t[:5] for t in tokens}


def _recall(wanted: set[str], found: set[str]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 0.0


def feature_rows(
    statements: Sequence[str],
    statement_vectors: np.ndarray,
    sentences: Sequence[str],
    sentence_vectors: np.ndarray,
) -> np.ndarray:
    """One feature row per statement against one text given as its sentences (and their
    unit vectors); an empty text gives zeros."""
    out = np.zeros((len(statements), len(FEATURES)), dtype=float)
    if not len(statements):
        return out
    text = " ".join(sentences)
    text_words = content_words(text)
    text_stems = _stems(text_words)
    text_numbers = set(_NUMBER.findall(text))
    if len(sentences):
        sims = statement_vectors @ sentence_vectors.T
    for row, statement in enumerate(statements):
        wanted = content_words(statement)
        numbers = set(_NUMBER.findall(statement))
        missing = len(numbers - text_numbers) / len(numbers) if numbers else 0.0
        if not len(sentences):
            out[row] = [0, 0, 0, 0, missing, 0, np.log1p(len(wanted))]
            continue
        best_row = int(np.argmax(sims[row]))
        best = sentences[best_row]
        out[row] = [
            float(sims[row, best_row]),
            _recall(wanted, text_words),
            _recall(_stems(wanted), text_stems),
            _recall(wanted, content_words(best)),
            missing,
            float(is_negated(best) != is_negated(statement)),
            np.log1p(len(wanted)),
        ]
    return out


@dataclass(frozen=True)
class EntailmentModel:
    """Standardised logistic model; ``full_cut`` / ``partial_cut`` are probabilities from
    which a statement counts as fully / partly stated (fitted on dev, balanced F1)."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    full_cut: float
    partial_cut: float
    fitted_on: str = ""

    def probability(self, rows: np.ndarray) -> np.ndarray:
        z = (rows - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.weights) + self.bias)))

    def to_json(self) -> str:
        body = {"features": list(FEATURES), **self.__dict__}
        return json.dumps(body, indent=2, sort_keys=True) + "\n"


def parse_model(text: str) -> EntailmentModel:
    body = json.loads(text)
    if tuple(body.pop("features")) != FEATURES:
        raise ValueError("entailment model was fitted on other features: refit it")
    return EntailmentModel(**{k: tuple(v) if isinstance(v, list) else v for k, v in body.items()})


@lru_cache(maxsize=1)
def load_model() -> EntailmentModel:
    return parse_model(MODEL_FILE.read_text(encoding="utf-8"))


def pair_features(statements: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """Feature rows of (statement, text) pairs, encoded with the shared embedder."""
    from quarkmed_dagster.embeddings import get_embedder

    embedder = get_embedder()
    statement_vectors = embedder.encode(list(statements))
    rows = []
    for i, text in enumerate(texts):
        sentences = split_sentences(text or "")
        vectors = embedder.encode(sentences)
        rows.append(feature_rows([statements[i]], statement_vectors[i : i + 1], sentences, vectors))
    return np.vstack(rows) if rows else np.zeros((0, len(FEATURES)))
