"""K-QA JSONL: ``Question``; with answers, ``Free_form_answer`` (physician answer) and the
``Must_have`` / ``Nice_to_have`` statements (reference points)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from quarkmed_dagster.ingest.loaders.lines import json_records
from quarkmed_dagster.ingest.records import RawQuery, ReferenceCriterion, Rejection


def _to_query(number: int, record: dict[str, Any], raw: str) -> RawQuery | Rejection:
    question = record.get("Question")
    if not isinstance(question, str):
        return Rejection(number, raw, "missing field 'Question'")
    criteria = [
        ReferenceCriterion(str(s), 1.0, kind)
        for field, kind in (("Must_have", "must_have"), ("Nice_to_have", "nice_to_have"))
        for s in record.get(field) or []
        if s
    ]
    answer = record.get("Free_form_answer")
    return RawQuery(
        row_number=number,
        source="kqa",
        source_id=f"kqa-{number}",
        turns=[{"role": "user", "content": question}],
        raw=raw,
        reference_criteria=criteria,
        reference_answers=[("physician", answer)] if answer else [],
        department_hint=record.get("ICD_10_diag"),
    )


def load(path: Path) -> Iterator[RawQuery | Rejection]:
    return json_records(path, _to_query)
