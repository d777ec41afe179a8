"""``quarkmed validate``: every validity figure in one run, stored in ``validity_metrics``.

Statement checks (K-QA, ExpertQA) go to the configured judges through the gateway (the
same requests as the K-QA concordance, so cached calls are free); HealthBench and rubric
coverage figures are read from the warehouse of a pipeline run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl

from quarkmed_dagster.audit.kqa import judge_requests, panel_label, predicted_label
from quarkmed_dagster.llm.types import Gateway
from quarkmed_dagster.validity.datasets import expertqa_claims, kqa_dev, kqa_reported
from quarkmed_dagster.validity.expertqa_answers import (
    expertqa_answers,
    usefulness_figures,
    write_sample_folder,
)
from quarkmed_dagster.validity.figures import Figure, figures_frame, skipped
from quarkmed_dagster.validity.healthbench import coverage_figures, healthbench_figures
from quarkmed_dagster.validity.statements import physician_ceiling, statement_task
from quarkmed_dagster.warehouse import Warehouse, load_sql

KQA_NLI = Path("kqa") / "NLI_medical_annotator.csv"
KQA_ANSWERS = Path("kqa") / "questions_w_answers.jsonl"
EXPERTQA = Path("expertqa") / "expertqa_medicine_subset.jsonl.gz"
PANEL = "panel"


def judge_statements(
    gateway: Gateway,
    frame: pl.DataFrame,
    judge_models: list[str],
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, list[bool | None]]:
    """Per judge (and the panel, with several), "the text entails the statement" per row;
    None where the call failed or the verdict was unusable."""
    requests_frame = frame.select(
        pl.col("question").alias("Question"),
        pl.col("text").alias("answer"),
        pl.col("statement").alias("claim"),
        "tier",
    )
    three_way: dict[str, list[str | None]] = {}
    for model in judge_models:
        results = gateway.run(judge_requests(requests_frame, model))
        three_way[model] = [predicted_label(r) for r in results]
        if on_progress is not None:
            on_progress(frame.height)
    if len(judge_models) > 1:
        three_way[PANEL] = [panel_label(list(v)) for v in zip(*three_way.values(), strict=True)]
    return {
        m: [None if v is None else v == "Entailment" for v in labels]
        for m, labels in three_way.items()
    }


def _kqa(gateway, judges, shared: Path, sample: Path, progress) -> list[Figure]:
    task, dataset = "statement entailment vs physician majority", "K-QA NLI (3 physicians)"
    nli = shared / KQA_NLI if (shared / KQA_NLI).is_file() else sample / "audit" / KQA_NLI.name
    if not nli.is_file():
        return [skipped(task, dataset, f"{KQA_NLI.name} not found in {shared} or {sample}")]
    if not (shared / KQA_ANSWERS).is_file():
        return [skipped(task, dataset, f"dev split {shared / KQA_ANSWERS} not found")]
    report = kqa_reported(nli)
    dev = kqa_dev(shared / KQA_ANSWERS, set(report["question"]))
    labels = judge_statements(gateway, report, judges, progress)
    return [
        *statement_task(task, dataset, dev, report, "entailed", labels),
        *physician_ceiling(task, dataset, report),
    ]


def _expertqa(gateway, judges, shared: Path, progress) -> list[Figure]:
    dataset = "ExpertQA medicine claims (1 expert)"
    if not (shared / EXPERTQA).is_file():
        return [skipped("claim support", dataset, f"{shared / EXPERTQA} not found")]
    claims = expertqa_claims(shared / EXPERTQA)
    dev, report = (claims.filter(pl.col("split") == s) for s in ("dev", "report"))
    labels = judge_statements(gateway, report, judges, progress)
    return [
        *statement_task(
            "claim supported by its evidence", dataset, dev, report, "supported", labels
        ),
        *statement_task(
            "claim correct (judged on its evidence)", dataset, dev, report, "correct", labels
        ),
    ]


def _expertqa_pipeline(shared: Path, sample: Path, work_dir: Path) -> list[Figure]:
    """The main job on the ExpertQA questions in a data home of its own (``work_dir``, kept
    so a re-run reuses its cached calls), their answers imported; scores vs usefulness."""
    from quarkmed_dagster.validity.expertqa_answers import DATASET, TASK

    if not (shared / EXPERTQA).is_file():
        return [skipped(TASK, DATASET, f"{shared / EXPERTQA} not found")]
    answers = expertqa_answers(shared / EXPERTQA)
    responses = write_sample_folder(answers, sample / "corpus", work_dir / "sample")
    home = work_dir / "home"
    (home / "responses_inbox").mkdir(parents=True, exist_ok=True)
    shutil.copy(responses, home / "responses_inbox" / responses.name)
    env = {
        **os.environ,
        "QUARKMED_DATA_HOME": str(home),
        "QUARKMED_SAMPLE_DATA_DIR": str(work_dir / "sample"),
    }
    env.pop("QUARKMED_WAREHOUSE_PATH", None)
    command = [sys.executable, "-c", "from quarkmed_dagster.cli import main; main()", "run"]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    scores_sql = load_sql("select_validity_imported_scores")
    warehouse = Warehouse(home / "warehouse.duckdb")
    if not warehouse.path.is_file():
        return [skipped(TASK, DATASET, f"the pipeline run failed: {done.stderr[-300:]}")]
    scores = warehouse.read(scores_sql, ["expertqa/%"])
    return usefulness_figures(answers, scores)


def validity_statement_count(shared: Path) -> int:
    """Statements the judges grade per judge (for a progress bar)."""
    total = 0
    if (shared / KQA_NLI).is_file():
        total += kqa_reported(shared / KQA_NLI).height
    if (shared / EXPERTQA).is_file():
        total += expertqa_claims(shared / EXPERTQA).filter(pl.col("split") == "report").height
    return total


def run_validation(
    wh: Warehouse,
    gateway: Gateway,
    judge_models: list[str],
    shared_data_dir: Path,
    sample_data_dir: Path,
    profile: str,
    on_progress: Callable[[int], None] | None = None,
    pipeline_dir: Path | None = None,
) -> pl.DataFrame:
    """``pipeline_dir`` set: also grade the ExpertQA answers with the whole pipeline there."""
    figures = [
        *_kqa(gateway, judge_models, shared_data_dir, sample_data_dir, on_progress),
        *_expertqa(gateway, judge_models, shared_data_dir, on_progress),
    ]
    if pipeline_dir is not None:
        figures += _expertqa_pipeline(shared_data_dir, sample_data_dir, pipeline_dir)
    hb = wh.read(load_sql("select_validity_healthbench_responses"))
    figures += healthbench_figures(hb) or [
        skipped(
            "score vs physician-criteria score",
            "HealthBench",
            "no HealthBench responses scored in this warehouse: run the main job first",
        )
    ]
    coverage = wh.read(load_sql("select_validity_coverage"))
    figures += coverage_figures(coverage) or [
        skipped("rubric coverage", "HealthBench / K-QA", "no rubric_coverage rows")
    ]
    frame = figures_frame(figures).with_columns(
        pl.lit(", ".join(judge_models) or "none").alias("judge_models"),
        pl.lit(profile).alias("profile"),
    )
    wh.replace_selected("validity_metrics", frame, "DELETE FROM validity_metrics")
    return frame
