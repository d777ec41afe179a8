"""Stage 5 over frames: current rubric items x candidate responses -> judge and panel verdicts.

Every response is graded against the CURRENT rubric set of its query, with the full session
history. Unchanged (response, item, judge) prompts are cache hits in the gateway, so a rerun
after a corpus change only spends calls on the queries whose rubrics changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from quarkmed_dagster.judging.panel import fleiss_kappa, krippendorff_alpha
from quarkmed_dagster.judging.run import judge_responses, panel_rows
from quarkmed_dagster.llm.types import Gateway, stable_hash
from quarkmed_dagster.responses.requests import session_history

VERDICT_KEY = ["response_id", "item_id", "judge_model", "mode"]
ITEM_VERDICT_KEY = ["response_id", "item_id"]


@dataclass(frozen=True)
class JudgingOutput:
    judge_verdicts: pl.DataFrame
    item_verdicts: pl.DataFrame
    panel_stats: pl.DataFrame


def response_payloads(queries: pl.DataFrame, responses: pl.DataFrame) -> list[dict]:
    """Responses joined to their query: final user turn + full history before it."""
    turns_by_query = dict(
        zip(queries["query_id"].to_list(), queries["turns"].to_list(), strict=True)
    )
    out = []
    for row in responses.iter_rows(named=True):
        turns = turns_by_query.get(row["query_id"])
        if turns is None:
            continue
        history, final = session_history(turns)
        out.append(
            {
                "response_id": row["response_id"],
                "query_id": row["query_id"],
                "query": final,
                "history": history,
                "response_text": row["response_text"],
            }
        )
    return out


def items_by_query(items: pl.DataFrame) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    columns = ["item_id", "query_id", "tier", "title", "description"]
    columns += ["levels"] if "levels" in items.columns else []  # level descriptions, judged
    for row in items.select(columns).iter_rows(named=True):
        grouped.setdefault(row["query_id"], []).append(row)
    for rows in grouped.values():
        rows.sort(key=lambda r: r["item_id"])  # stable base order; judges shuffle with a seed
    return grouped


def agreement_matrix(verdicts: pl.DataFrame, judges: list[str]) -> list[list[float | None]]:
    """matrix[judge][unit] over (response, item) units; NULL where a judge has no verdict."""
    if verdicts.is_empty():
        return [[] for _ in judges]
    wide = verdicts.pivot(
        on="judge_model",
        index=["response_id", "item_id"],
        values="level",
        aggregate_function="first",
    ).sort(["response_id", "item_id"])
    return [wide[j].to_list() if j in wide.columns else [None] * wide.height for j in judges]


def panel_statistics(
    verdicts: pl.DataFrame, tiers: dict[str, str], judges: list[str], mode: str
) -> pl.DataFrame:
    """Run-level agreement (overall and per tier). Undefined with fewer than two judges: NULL."""
    created = datetime.now(UTC).replace(tzinfo=None)
    tiered = verdicts.with_columns(tier=pl.col("item_id").replace_strict(tiers, default=None))
    scopes = [("all", tiered)] + [
        (tier, tiered.filter(pl.col("tier") == tier))
        for tier in sorted({t for t in tiers.values() if t})
    ]
    run_id = stable_hash({"judges": judges, "mode": mode, "at": created.isoformat()}, 16)
    rows = []
    for scope, frame in scopes:
        matrix = agreement_matrix(frame, judges)
        enough = len(judges) >= 2
        rows.append(
            {
                "panel_run_id": run_id,
                "scope": scope,
                "mode": mode,
                "judges": ", ".join(judges),
                "n_judges": len(judges),
                "n_units": len(matrix[0]) if matrix else 0,
                "n_missing": int(frame["level"].null_count()) if frame.height else 0,
                "fleiss_kappa": fleiss_kappa(matrix) if enough else None,
                "krippendorff_alpha": krippendorff_alpha(matrix) if enough else None,
                "created_at": created,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def judge_stage(
    gateway: Gateway,
    judges: list[str],
    queries: pl.DataFrame,
    responses: pl.DataFrame,
    items: pl.DataFrame,
    mode: str = "batched",
    seed: int = 0,
) -> JudgingOutput:
    """Grade every response against its query's current items by every judge, then vote."""
    payloads = response_payloads(queries, responses)
    grouped = items_by_query(items)
    rows = judge_responses(gateway, judges, payloads, grouped, mode=mode, seed=seed)
    verdicts = pl.DataFrame(
        rows,
        schema={
            "response_id": pl.String,
            "item_id": pl.String,
            "judge_model": pl.String,
            "mode": pl.String,
            "level": pl.Float64,
            "pitfall_severity": pl.String,
            "rationale": pl.String,
            "status": pl.String,
        },
    )
    tiers = dict(zip(items["item_id"].to_list(), items["tier"].to_list(), strict=True))
    panel = pl.DataFrame(
        panel_rows(rows, tiers),
        schema={
            "response_id": pl.String,
            "item_id": pl.String,
            "level": pl.Float64,
            "n_votes": pl.Int32,
            "agreement": pl.Float64,
        },
    )
    return JudgingOutput(verdicts, panel, panel_statistics(verdicts, tiers, judges, mode))


def missing_verdicts(
    items: pl.DataFrame, responses: pl.DataFrame, verdicts: pl.DataFrame, judges: list[str]
) -> pl.DataFrame:
    """(response, item, judge) triples the current rubric demands but no verdict row holds."""
    expected = (
        responses.select("response_id", "query_id")
        .join(items.select("item_id", "query_id"), on="query_id")
        .join(pl.DataFrame({"judge_model": judges}), how="cross")
    )
    return expected.join(
        verdicts.select("response_id", "item_id", "judge_model").unique(),
        on=["response_id", "item_id", "judge_model"],
        how="anti",
    )
