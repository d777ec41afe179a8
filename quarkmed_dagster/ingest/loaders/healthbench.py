"""HealthBench JSONL: ``prompt`` message list, physician ``rubrics``, ``example_tags``,
``ideal_completions_data`` (kept as reference answers; rubrics as reference rubrics)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from quarkmed_dagster.ingest.loaders.lines import json_records
from quarkmed_dagster.ingest.records import RawQuery, ReferenceCriterion, Rejection


def _to_query(number: int, record: dict[str, Any], raw: str) -> RawQuery | Rejection:
    if not isinstance(record.get("prompt"), list):
        return Rejection(number, raw, "missing field 'prompt' (a list of messages)")
    criteria = [
        ReferenceCriterion(
            criterion=str(r.get("criterion", "")),
            points=float(r.get("points", 0)),
            kind="criterion",
            tags=list(r.get("tags") or []),
        )
        for r in record.get("rubrics") or []
        if r.get("criterion")
    ]
    ideal = (record.get("ideal_completions_data") or {}).get("ideal_completion")
    return RawQuery(
        row_number=number,
        source="healthbench",
        source_id=record.get("prompt_id"),
        turns=record["prompt"],
        raw=raw,
        reference_criteria=criteria,
        reference_answers=[("ideal_completion", ideal)] if ideal else [],
        tags=list(record.get("example_tags") or []),
    )


def load(path: Path) -> Iterator[RawQuery | Rejection]:
    return json_records(path, _to_query)
