"""The expert-labelled sets behind the validity figures, as statement-check frames.

A statement-check frame has one row per (question, statement, text) with the expert's
binary label: ``group`` (the question, for splits and within-question figures),
``question``, ``statement``, ``text`` (what the statement is checked against), ``tier``
and one or more boolean label columns (None where the expert gave no usable label).

- K-QA ``NLI_medical_annotator.csv`` (reported): statement vs an LLM answer, three
  physicians; label = their majority says Entailment.
- K-QA ``questions_w_answers.jsonl`` (dev, for the baselines' thresholds): each Must_have /
  Nice_to_have statement vs the physician's own answer (entailed) and vs the physician answer
  of the most similar other question (not entailed); questions of the reported set excluded.
- ExpertQA medicine claims: claim vs the evidence it cites; labels support (Complete) and
  correctness (definitely / probably correct vs likely / definitely incorrect); split in two
  halves by a hash of the question.
"""

from __future__ import annotations

import ast
import gzip
import json
from pathlib import Path

import numpy as np
import polars as pl

from quarkmed_dagster.audit.kqa import load_kqa
from quarkmed_dagster.embeddings import get_embedder
from quarkmed_dagster.llm.types import stable_hash

STATEMENT_SCHEMA = {
    "group": pl.String,
    "question": pl.String,
    "statement": pl.String,
    "text": pl.String,
    "tier": pl.String,
}
CORRECT = {"Definitely correct": True, "Probably correct": True}
INCORRECT = {"Definitely incorrect": False, "Likely incorrect": False}


def _jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle.read().split("\n") if line.strip()]


def kqa_reported(path: Path) -> pl.DataFrame:
    """The physician-labelled set, with ``entailed`` and the three physicians' labels."""
    frame = load_kqa(path)
    return frame.select(
        pl.col("Question").alias("group"),
        pl.col("Question").alias("question"),
        pl.col("claim").alias("statement"),
        pl.col("answer").alias("text"),
        pl.col("tier"),
        (pl.col("majority_label") == "Entailment").alias("entailed"),
        "label_0",
        "label_1",
        "label_2",
        "majority_label",
        "row_id",
        "category_x",
        "Question",
        "answer",
        "claim",
    )


def _statements(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    if isinstance(value, str) and value.strip().startswith("["):
        return [str(v) for v in ast.literal_eval(value) if v]
    return [value] if isinstance(value, str) and value.strip() else []


def kqa_dev(path: Path, exclude_questions: set[str]) -> pl.DataFrame:
    records = [
        r
        for r in _jsonl(path)
        if r.get("Free_form_answer") and r.get("Question") not in exclude_questions
    ]
    questions = [r["Question"] for r in records]
    vectors = get_embedder().encode(questions)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    rows = []
    for i, record in enumerate(records):
        other = records[int(sims[i].argmax())]["Free_form_answer"]
        for kind, tier in (("Must_have", "Essential"), ("Nice_to_have", "Important")):
            for statement in _statements(record.get(kind)):
                base = {"group": record["Question"], "question": record["Question"]}
                base |= {"statement": statement, "tier": tier}
                rows.append(base | {"text": record["Free_form_answer"], "entailed": True})
                rows.append(base | {"text": other, "entailed": False})
    return pl.DataFrame(rows, schema={**STATEMENT_SCHEMA, "entailed": pl.Boolean})


def expertqa_claims(path: Path) -> pl.DataFrame:
    rows = []
    for record in _jsonl(path):
        for answer in record.get("answers", {}).values():
            for claim in answer.get("claims") or []:
                if not claim.get("claim_string"):
                    continue
                support = claim.get("support")
                correctness = claim.get("correctness")
                rows.append(
                    {
                        "group": record["question"],
                        "question": record["question"],
                        "statement": claim["claim_string"],
                        "text": "\n\n".join(claim.get("evidence") or []),
                        "tier": "Essential",
                        "supported": None
                        if support in (None, "N/A", "None")
                        else support == "Complete",
                        "correct": CORRECT.get(correctness, INCORRECT.get(correctness)),
                        "split": "dev"
                        if int(stable_hash({"q": record["question"]})[:8], 16) % 2 == 0
                        else "report",
                    }
                )
    schema = {**STATEMENT_SCHEMA, "supported": pl.Boolean, "correct": pl.Boolean}
    return pl.DataFrame(rows, schema={**schema, "split": pl.String})
