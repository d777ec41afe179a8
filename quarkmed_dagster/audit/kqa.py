"""Judge concordance on K-QA's physician-labelled statement checks.

Each row is (question, LLM answer, gold statement) with a physician majority label
Entailment / Neutral / Contradiction. The statement becomes a rubric item and the answer
the response: a positive item (Essential for K-QA ``Must_have``, Important for
``Nice_to_have``) fully met ~ Entailment; a Pitfall item "contradicts the statement" judged
as an error ~ Contradiction. A failed judge call is a missing label, never a verdict.
With several judges their majority vote is graded too, as judge ``panel``, so a panel can be
gated like a single judge.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl

from quarkmed_dagster.audit.metrics import PANEL, concordance_table
from quarkmed_dagster.llm.payloads import JudgeOutput
from quarkmed_dagster.llm.types import CallRequest, CallResult
from quarkmed_dagster.prompts import load_prompt

KQA_TIER = {"Must_have": "Essential", "Nice_to_have": "Important"}
# The panel's tie rule (as ``judging.panel.majority``): among tied labels the one giving the
# response less credit wins.
PHYSICIAN_SET = "kqa_nli_binary_physicians"  # the human reference: not a judge to gate
CREDIT = {"Contradiction": 0, "Neutral": 1, "Entailment": 2, "not_met": 0, "met": 1}


def load_kqa(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(
            f"K-QA annotator file not found: {path} (expected in the sample data folder "
            "as audit/NLI_medical_annotator.csv; see data/sample/audit/SOURCES.md)"
        )
    frame = pl.read_csv(path, infer_schema_length=0)
    frame = (
        frame.rename({frame.columns[0]: "row_id"})
        if frame.columns[0] in ("", "column_1")
        else frame
    )
    return frame.with_columns(
        pl.col("row_id").cast(pl.Int64),
        pl.col("category_x").replace_strict(KQA_TIER, default="Important").alias("tier"),
    )


def judge_requests(frame: pl.DataFrame, judge_model: str) -> list[CallRequest]:
    prompt = load_prompt("judge_response")
    requests = []
    for row in frame.iter_rows(named=True):
        payload = {
            "query": row["Question"],
            "history": [],
            "response": row["answer"],
            "items": [
                {
                    "item_id": "support",
                    "tier": row["tier"],
                    "title": row["claim"],
                    "description": "",
                },
                {
                    "item_id": "contradiction",
                    "tier": "Pitfall",
                    "title": f"States the opposite of: {row['claim']}",
                    "description": "Error if the response contradicts this statement.",
                },
            ],
        }
        requests.append(
            CallRequest(
                role="judges",
                model=judge_model,
                messages=prompt.messages(payload),
                prompt_version=prompt.version,
                json_schema=JudgeOutput.model_json_schema(),
            )
        )
    return requests


def _levels(result: CallResult) -> dict[str, object] | None:
    if result.status not in ("ok", "cached") or not isinstance(result.parsed, dict):
        return None
    verdicts = result.parsed.get("verdicts")
    if not isinstance(verdicts, list):
        return None
    return {v.get("item_id"): v.get("level") for v in verdicts if isinstance(v, dict)}


def predicted_label(result: CallResult) -> str | None:
    """Three-way label from the two items; None when the call failed or a level is missing."""
    levels = _levels(result)
    if levels is None or "support" not in levels or "contradiction" not in levels:
        return None
    if levels["contradiction"] in ("minor", "major"):
        return "Contradiction"
    try:
        support = float(levels["support"])  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return "Entailment" if support >= 1.0 else "Neutral"


def labelled_frame(
    frame: pl.DataFrame, results: list[CallResult], judge_model: str
) -> pl.DataFrame:
    preds = [predicted_label(r) for r in results]
    return frame.with_columns(
        pl.Series("judge_label", preds, dtype=pl.Utf8),
        pl.lit(judge_model).alias("judge_model"),
        pl.col("majority_label").alias("expert_label"),
    )


def _binary(col: str) -> pl.Expr:
    return (
        pl.when(pl.col(col).is_null())
        .then(None)
        .when(pl.col(col) == "Entailment")
        .then(pl.lit("met"))
        .otherwise(pl.lit("not_met"))
        .alias(col)
    )


def panel_label(labels: list[str | None]) -> str | None:
    """The judges' majority label; missing labels do not vote; all missing -> missing."""
    votes = [label for label in labels if label is not None]
    if not votes:
        return None
    counts = Counter(votes)
    top = max(counts.values())
    return min((label for label, c in counts.items() if c == top), key=CREDIT.__getitem__)


def with_panel(labelled: pl.DataFrame) -> pl.DataFrame:
    """``labelled`` (one row per statement x judge) plus the panel's majority rows when
    there are several judges."""
    if labelled["judge_model"].n_unique() < 2:
        return labelled
    columns = ["row_id", "tier", "expert_label", "judge_model", "judge_label"]
    panel = labelled.group_by("row_id", maintain_order=True).agg(
        pl.first("tier"), pl.first("expert_label"), pl.col("judge_label").alias("votes")
    )
    labels = [panel_label(votes) for votes in panel["votes"].to_list()]
    panel = panel.with_columns(
        pl.lit(PANEL).alias("judge_model"), pl.Series("judge_label", labels, dtype=pl.Utf8)
    )
    return pl.concat([labelled.select(columns), panel.select(columns)])


def kqa_concordance(labelled: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Rows for the binary (fully met ~ Entailment) and three-way tasks, overall and per
    tier, for each judge of ``labelled`` (one row per statement x judge) and, with several
    judges, for their panel (majority vote on each task's labels)."""
    binary = labelled.with_columns(_binary("expert_label"), _binary("judge_label"))
    parts = [
        concordance_table(with_panel(binary), "kqa_nli_binary", ["tier"], threshold),
        concordance_table(with_panel(labelled), "kqa_nli_3way", ["tier"], threshold),
    ]
    return pl.concat(parts)


def physician_reference(frame: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Each physician's binary label against the majority of the other two (leave-one-out:
    a majority that includes the physician would flatter them): the human reference a judge
    is compared with. Where the other two disagree there is no majority, and the statement
    counts as missing for that physician."""
    rows = []
    for i in range(3):
        j, k = (x for x in range(3) if x != i)
        part = frame.select(
            pl.col("tier"),
            pl.lit(f"physician_{i}").alias("judge_model"),
            pl.col(f"label_{j}").alias("other_a"),
            pl.col(f"label_{k}").alias("other_b"),
            pl.col(f"label_{i}").alias("judge_label"),
        ).with_columns(_binary("other_a"), _binary("other_b"), _binary("judge_label"))
        rows.append(
            part.with_columns(
                pl.when(pl.col("other_a") == pl.col("other_b"))
                .then(pl.col("other_a"))
                .alias("expert_label")
            ).drop("other_a", "other_b")
        )
    return concordance_table(pl.concat(rows), PHYSICIAN_SET, ["tier"], threshold)


def flagged_judges(concordance: pl.DataFrame) -> list[str]:
    """Judges (a panel included) whose overall concordance in some audit set is below the
    threshold; the physicians' reference rows are never counted."""
    flagged = concordance.filter(
        pl.col("flagged")
        & (pl.col("group_by") == "all")
        & ~pl.col("audit_set").str.starts_with(PHYSICIAN_SET)  # a limited run's too
    )
    return sorted(set(flagged["judge_model"]))
