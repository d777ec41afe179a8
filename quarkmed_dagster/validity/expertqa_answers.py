"""ExpertQA answer-level figure: our whole pipeline's score of each expert-graded answer
against the expert's usefulness grade, beside the trivial baselines.

The ExpertQA medicine questions become a query folder of their own, graded on the bundled
corpus (leak-free retrieval, so nothing of theirs is evidence); their system answers are
imported as responses under ``expertqa/<system>``. One answer per question: only the pooled
rank correlation exists (no within-question figure).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import polars as pl

from quarkmed_dagster.validity.agreement import spearman
from quarkmed_dagster.validity.baselines import answer_length, embedding_cosine, token_overlap
from quarkmed_dagster.validity.figures import Figure

TASK = "answer score vs expert usefulness"
DATASET = "ExpertQA medicine answers (1 expert)"
USEFULNESS = {"Useful": 2.0, "Partially useful": 1.0, "Not useful at all": 0.0}


def expertqa_answers(path: Path) -> pl.DataFrame:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle.read().split("\n") if line.strip()]
    rows = [
        {
            "question": record["question"],
            "model": f"expertqa/{system}",
            "response": answer.get("answer_string") or "",
            "usefulness": USEFULNESS.get(answer.get("usefulness")),
        }
        for record in records
        for system, answer in record.get("answers", {}).items()
        if answer.get("answer_string")
    ]
    schema = {"question": pl.String, "model": pl.String, "response": pl.String}
    return pl.DataFrame(rows, schema={**schema, "usefulness": pl.Float64})


def write_sample_folder(answers: pl.DataFrame, corpus_dir: Path, target: Path) -> Path:
    """A sample folder (queries + the bundled corpus) and the responses file to import."""
    (target / "queries").mkdir(parents=True, exist_ok=True)
    questions = answers.select("question").unique(maintain_order=True)
    questions.with_columns(pl.lit("ExpertQA").alias("source")).write_ndjson(
        target / "queries" / "expertqa_questions.jsonl"
    )
    shutil.copytree(corpus_dir, target / "corpus", dirs_exist_ok=True)
    responses = target / "expertqa_responses.jsonl"
    answers.select("question", "model", "response").write_ndjson(responses)
    return responses


def usefulness_figures(answers: pl.DataFrame, scores: pl.DataFrame) -> list[Figure]:
    """``scores``: question, our_score (None when unscored) for the graded answers."""
    frame = answers.join(scores, on="question", how="left")
    unscored = int(frame["our_score"].null_count())
    note = f"{unscored} of {frame.height} answers unscored (rubric in review or low coverage)"
    target = frame["usefulness"].to_list()
    question, text = frame["question"].to_list(), frame["response"].to_list()
    predictors = {
        "our pipeline score": ("pipeline", frame["our_score"].to_list(), note),
        "answer length": ("baseline", list(answer_length(text)), ""),
        "question-answer token overlap": ("baseline", list(token_overlap(question, text)), ""),
        "question-answer cosine": ("baseline", list(embedding_cosine(question, text)), ""),
    }
    return [
        Figure(
            TASK,
            DATASET,
            "all",
            name,
            kind,
            "spearman_pooled",
            spearman(
                [float("nan") if v is None else v for v in values],
                [float("nan") if v is None else v for v in target],
            ),
            frame.height,
            extra,
        )
        for name, (kind, values, extra) in predictors.items()
    ]
