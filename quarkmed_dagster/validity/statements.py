"""Figures of a statement-check task: judges untuned, baselines fitted on dev, physicians'
leave-one-out agreement as the ceiling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from quarkmed_dagster.validity.agreement import Threshold, binary_figures, fit_threshold
from quarkmed_dagster.validity.baselines import (
    answer_length,
    embedding_cosine,
    max_sentence_cosine,
    token_overlap,
)
from quarkmed_dagster.validity.figures import Figure


def baseline_scores(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    question, statement, text = (frame[c].to_list() for c in ("question", "statement", "text"))
    return {
        "answer length": answer_length(text),
        "question-answer token overlap": token_overlap(question, text),
        "question-answer cosine": embedding_cosine(question, text),
        "statement-answer token overlap": token_overlap(statement, text),
        "statement-answer cosine": embedding_cosine(statement, text),
        "statement-best-sentence cosine": max_sentence_cosine(statement, text),
    }


def _figures(
    task: str,
    dataset: str,
    split: str,
    instrument: str,
    kind: str,
    expert: Sequence[bool | None],
    predicted: Sequence[bool | None],
    note: str = "",
) -> list[Figure]:
    stats = binary_figures(expert, predicted)
    return [
        Figure(task, dataset, split, instrument, kind, metric, stats[metric], stats["n"], note)
        for metric in ("balanced_f1", "kappa")
    ]


def _describe(threshold: Threshold) -> str:
    return f"fitted on dev: {'>=' if threshold.sign > 0 else '<='} {threshold.value:.4g}"


def statement_task(
    task: str,
    dataset: str,
    dev: pl.DataFrame,
    report: pl.DataFrame,
    label: str,
    judge_labels: Mapping[str, Sequence[bool | None]],
) -> list[Figure]:
    """Judges (labels on ``report`` rows, in order) and baselines on the reported split."""
    expert = report[label].to_list()
    out: list[Figure] = []
    for judge, predicted in judge_labels.items():
        out += _figures(task, dataset, "report", judge, "judge", expert, predicted)
    keep = dev[label].is_not_null()
    dev = dev.filter(keep)
    dev_scores, report_scores = baseline_scores(dev), baseline_scores(report)
    for name, scores in dev_scores.items():
        threshold = fit_threshold(scores, dev[label].to_list())
        predicted = threshold.predict(report_scores[name])
        out += _figures(
            task, dataset, "report", name, "baseline", expert, predicted, _describe(threshold)
        )
    return out


def physician_ceiling(task: str, dataset: str, report: pl.DataFrame) -> list[Figure]:
    """Each physician against the other two when they agree (leave-one-out), averaged."""
    f1s, kappas, ns = [], [], []
    for i in range(3):
        j, k = (x for x in range(3) if x != i)
        others = report.select(
            pl.when(pl.col(f"label_{j}") == pl.col(f"label_{k}")).then(pl.col(f"label_{j}"))
        ).to_series()
        expert = [None if o is None else o == "Entailment" for o in others]
        mine = [label == "Entailment" for label in report[f"label_{i}"].to_list()]
        pairs = [(e, m) for e, m in zip(expert, mine, strict=True) if e is not None]
        stats = binary_figures([e for e, _ in pairs], [m for _, m in pairs])
        f1s.append(stats["balanced_f1"])
        kappas.append(stats["kappa"])
        ns.append(stats["n"])
    note = "mean of the three physicians, each vs the other two where they agree"
    return [
        Figure(
            task,
            dataset,
            "report",
            "physicians (leave-one-out)",
            "ceiling",
            metric,
            float(np.mean(values)),
            int(np.mean(ns)),
            note,
        )
        for metric, values in (("balanced_f1", f1s), ("kappa", kappas))
    ]
