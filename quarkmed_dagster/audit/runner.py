"""Run the K-QA concordance with a gateway and store it in the ``concordance`` table.

A run on the first N rows only (``limit`` below the file's 399) never replaces the full
result: it is returned (the CLI prints it) and stored only with ``store_limited``, under
audit sets labelled ``<set>@first<N>`` (``limited_set``), which the marts' expert
concordance and the judges' flags leave out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from quarkmed_dagster.audit.kqa import (
    judge_requests,
    kqa_concordance,
    labelled_frame,
    load_kqa,
    physician_reference,
)
from quarkmed_dagster.audit.metrics import PANEL
from quarkmed_dagster.llm.config import is_baseline
from quarkmed_dagster.llm.types import CallRequest, CallResult, Gateway
from quarkmed_dagster.prompts import load_prompt
from quarkmed_dagster.warehouse import Warehouse

KQA_FILE = Path("audit") / "NLI_medical_annotator.csv"
KQA_SETS = ["kqa_nli_binary", "kqa_nli_3way", "kqa_nli_binary_physicians"]
DEFAULT_THRESHOLD = 0.7
# With a progress callback the calls go to the gateway in chunks of this many (each chunk
# still runs at the deployment's concurrency), so progress is reported as chunks finish.
PROGRESS_CHUNK = 64
LIMITED_MARK = "@first"


def limited_set(audit_set: str, limit: int) -> str:
    """The audit set of a run on the first ``limit`` K-QA rows only."""
    return f"{audit_set}{LIMITED_MARK}{limit}"


def run_kqa_concordance(
    wh: Warehouse,
    gateway: Gateway,
    sample_data_dir: Path,
    judge_models: list[str],
    threshold: float = DEFAULT_THRESHOLD,
    limit: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    store_limited: bool = False,
) -> pl.DataFrame:
    """``on_progress(n)`` is told each time ``n`` more statements were judged (out of
    ``kqa_statement_count(...) x len(judge_models)``). With ``limit`` below the file's row
    count the rows' audit sets are labelled ``limited_set(set, limit)`` and stored only
    when ``store_limited`` (the full result is never replaced by a partial one)."""
    frame = load_kqa(sample_data_dir / KQA_FILE)
    cut = limit if limit is not None and limit < frame.height else None
    limited = cut is not None
    if cut is not None:
        frame = frame.head(cut)
    sets = [limited_set(s, cut) for s in KQA_SETS] if cut is not None else KQA_SETS

    def finish(out: pl.DataFrame) -> pl.DataFrame:
        if limited:
            out = out.with_columns(
                pl.col("audit_set").replace_strict(dict(zip(KQA_SETS, sets, strict=True)))
            )
        if not limited or store_limited:
            store_concordance(wh, out, sets)
        return out

    version = load_prompt("judge_response").version
    human = physician_reference(frame, threshold).with_columns(
        pl.lit(False).alias("is_baseline"), pl.lit(None, dtype=pl.Utf8).alias("prompt_version")
    )
    if not judge_models:
        return finish(human)
    labelled = pl.concat(
        [
            labelled_frame(frame, _judge(gateway, judge_requests(frame, model), on_progress), model)
            for model in judge_models
        ]
    )
    baseline = {m: is_baseline(m) for m in judge_models}
    baseline[PANEL] = all(baseline.values())  # a panel of baselines is a baseline
    judges = kqa_concordance(labelled, threshold).with_columns(
        pl.col("judge_model")
        .replace_strict(baseline, return_dtype=pl.Boolean)
        .alias("is_baseline"),
        pl.lit(version).alias("prompt_version"),
    )
    return finish(pl.concat([judges, human], how="diagonal_relaxed"))


def kqa_statement_count(sample_data_dir: Path, limit: int | None = None) -> int:
    rows = load_kqa(sample_data_dir / KQA_FILE).height
    return rows if limit is None else min(rows, limit)


def _judge(
    gateway: Gateway, requests: list[CallRequest], on_progress: Callable[[int], None] | None
) -> list[CallResult]:
    if on_progress is None:
        return gateway.run(requests)
    results: list[CallResult] = []
    for start in range(0, len(requests), PROGRESS_CHUNK):
        chunk = requests[start : start + PROGRESS_CHUNK]
        results.extend(gateway.run(chunk))
        on_progress(len(chunk))
    return results


def store_concordance(wh: Warehouse, frame: pl.DataFrame, audit_sets: list[str]) -> None:
    """Replace the rows of ``audit_sets`` in ``concordance`` with ``frame`` (idempotent)."""
    with wh.writer() as con:
        con.execute("DELETE FROM concordance WHERE list_contains(?, audit_set)", [audit_sets])
        con.register("conc_frame", frame.to_arrow())
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO concordance ({cols}) SELECT {cols} FROM conc_frame")
        con.unregister("conc_frame")
