"""HealthSearchQA: consumer search questions ``{"id", "question"}``, no answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from quarkmed_dagster.ingest.loaders.lines import json_records
from quarkmed_dagster.ingest.records import RawQuery, Rejection


def _to_query(number: int, record: dict[str, Any], raw: str) -> RawQuery | Rejection:
    question = record.get("question")
    if not isinstance(question, str):
        return Rejection(number, raw, "missing field 'question'")
    return RawQuery(
        row_number=number,
        source="healthsearchqa",
        source_id=str(record.get("id")),
        turns=[{"role": "user", "content": question}],
        raw=raw,
    )


def load(path: Path) -> Iterator[RawQuery | Rejection]:
    return json_records(path, _to_query)
