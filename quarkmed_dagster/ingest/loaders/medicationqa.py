"""MedicationQA: consumer medication ``question`` with focus drug; answers kept upstream
(DailyMed, MedlinePlus topics, CDC, FDA) become reference answers."""

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
    answer = record.get("answer")
    return RawQuery(
        row_number=number,
        source="medicationqa",
        source_id=str(record.get("id")),
        turns=[{"role": "user", "content": question}],
        raw=raw,
        reference_answers=[("government_page", answer)] if answer else [],
        department_hint="pharmacy",
    )


def load(path: Path) -> Iterator[RawQuery | Rejection]:
    return json_records(path, _to_query)
