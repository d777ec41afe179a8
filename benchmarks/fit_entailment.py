"""Fit the offline judge's entailment model on the declared dev split and write
``quarkmed_dagster/baselines/entailment_model.json``.

Dev split (nothing of the reported validity sets):
- K-QA ``questions_w_answers``, questions not in ``NLI_medical_annotator.csv``: each
  Must_have / Nice_to_have statement vs its own physician answer (entailed), vs the
  physician answer of the most similar other question (not);
- ExpertQA medicine claims of the dev half (by question hash): claim vs its cited evidence,
  label "support = Complete".

The two sources weigh equally in the fit (the K-QA pairs would otherwise outnumber the
claims 12:1, and their positives are near-copies of the statements); the cut is the best
balanced F1 on the ExpertQA dev claims, the only source whose positive texts paraphrase
rather than copy. First a check (fitted on half of the dev questions, scored on the other
half; printed), then the model written is fitted on the whole dev split.

    .venv/bin/python benchmarks/fit_entailment.py [--shared ../shared/data] [--check-only]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quarkmed_dagster.baselines.entailment import (
    FEATURES,
    MODEL_FILE,
    EntailmentModel,
    pair_features,
)
from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.validity.agreement import binary_figures, fit_threshold
from quarkmed_dagster.validity.datasets import expertqa_claims, kqa_dev, kqa_reported


def dev_frame(shared: Path) -> pl.DataFrame:
    report = kqa_reported(shared / "kqa" / "NLI_medical_annotator.csv")
    kqa = kqa_dev(shared / "kqa" / "questions_w_answers.jsonl", set(report["question"]))
    claims = expertqa_claims(shared / "expertqa" / "expertqa_medicine_subset.jsonl.gz")
    claims = claims.filter((pl.col("split") == "dev") & pl.col("supported").is_not_null())
    columns = ["group", "statement", "text", "entailed", "source"]
    return pl.concat(
        [
            kqa.with_columns(pl.lit("kqa").alias("source")).select(columns),
            claims.select(
                "group",
                "statement",
                "text",
                pl.col("supported").alias("entailed"),
                pl.lit("expertqa").alias("source"),
            ),
        ]
    )


# Features that are evidence the statement is stated never lower the score (their weight is
# >= 0); without the bound the near-copy dev positives give the sentence cosine a negative
# weight next to word recall, which would penalise paraphrases.
NON_NEGATIVE = {"best_sentence_cosine", "word_recall", "stem_recall", "best_sentence_word_recall"}


def _monotone_logistic(
    z: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float = 1.0
) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression (as sklearn's C=1) with sign bounds, by L-BFGS-B."""

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        margin = z @ theta[:-1] + theta[-1]
        p = 1.0 / (1.0 + np.exp(-margin))
        value = float(weights @ (np.logaddexp(0.0, margin) - y * margin))
        value += 0.5 * l2 * float(theta[:-1] @ theta[:-1])
        residual = weights * (p - y)
        grad = np.append(z.T @ residual + l2 * theta[:-1], residual.sum())
        return value, grad

    bounds = [(0.0, None) if name in NON_NEGATIVE else (None, None) for name in FEATURES]
    start = np.zeros(z.shape[1] + 1)
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[*bounds, (None, None)])
    return result.x[:-1], float(result.x[-1])


def fit(
    rows: np.ndarray, labels: np.ndarray, sources: np.ndarray, fitted_on: str
) -> EntailmentModel:
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (rows - mean) / scale
    weights = np.zeros(len(labels))
    for source in np.unique(sources):
        weights[sources == source] = len(labels) / (sources == source).sum()
    coef, intercept = _monotone_logistic(z, labels.astype(float), weights)
    draft = EntailmentModel(
        tuple(round(float(w), 6) for w in coef),
        round(float(intercept), 6),
        tuple(float(m) for m in mean),
        tuple(float(s) for s in scale),
        0.5,
        0.25,
        fitted_on,
    )
    claims = sources == "expertqa"
    cut = fit_threshold(draft.probability(rows[claims]), list(labels[claims]))
    full = round(float(cut.value), 4)
    return EntailmentModel(
        draft.weights, draft.bias, draft.mean, draft.scale, full, full / 2, fitted_on
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--check-only", action="store_true")
    args = parser.parse_args()
    frame = dev_frame(args.shared)
    rows = pair_features(frame["statement"].to_list(), frame["text"].to_list())
    labels = frame["entailed"].to_numpy()
    sources = frame["source"].to_numpy()
    half = np.array([int(stable_hash({"check": g})[:8], 16) % 2 == 0 for g in frame["group"]])
    check = fit(rows[half], labels[half], sources[half], "check")
    predicted = list(check.probability(rows[~half]) >= check.full_cut)
    stats = binary_figures(list(labels[~half]), predicted)
    print(f"dev rows {frame.height} (positives {int(labels.sum())}); features {FEATURES}")
    print(f"check (fit on half of the dev questions, scored on the other half): {stats}")
    if args.check_only:
        return
    model = fit(
        rows,
        labels,
        sources,
        "dev: K-QA questions_w_answers (reported questions excluded) "
        "own/other answers + ExpertQA claims dev half (cut)",
    )
    MODEL_FILE.write_text(model.to_json(), encoding="utf-8")
    print(
        f"wrote {MODEL_FILE}: full cut {model.full_cut}, weights "
        + ", ".join(f"{n} {w:+.2f}" for n, w in zip(FEATURES, model.weights, strict=True))
    )


if __name__ == "__main__":
    main()
