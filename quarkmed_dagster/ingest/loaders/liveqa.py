"""TREC-2017 LiveQA-Medical: consumer ``subject`` + ``message``; reference answers whose
text was kept upstream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from quarkmed_dagster.ingest.loaders.lines import json_records
from quarkmed_dagster.ingest.records import RawQuery, Rejection


def _to_query(number: int, record: dict[str, Any], raw: str) -> RawQuery | Rejection:
    message = record.get("message")
    if not isinstance(message, str):
        return Rejection(number, raw, "missing field 'message'")
    subject = record.get("subject") or ""
    text = f"{subject}: {message}" if subject and subject not in message else message
    answers = [
        ("nlm_reference", a["answer"])
        for a in record.get("reference_answers") or []
        if a.get("answer")
    ]
    return RawQuery(
        row_number=number,
        source="liveqa2017",
        source_id=record.get("qid"),
        turns=[{"role": "user", "content": text}],
        raw=raw,
        reference_answers=answers,
    )


def load(path: Path) -> Iterator[RawQuery | Rejection]:
    return json_records(path, _to_query)
