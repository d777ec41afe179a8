"""HealthSearchQA: consumer search questions ``{"id", "question"}``, no answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from quarkmed_dagster.ingest.loaders.lines import RAW_KEEP, json_lines
from quarkmed_dagster.ingest.records import RawQuery, Rejection


def load(path: Path) -> Iterator[RawQuery | Rejection]:
    for item in json_lines(path):
        if isinstance(item, Rejection):
            yield item
            continue
        number, record = item
        raw = json.dumps(record, ensure_ascii=False)[:RAW_KEEP]
        question = record.get("question")
        if not isinstance(question, str):
            yield Rejection(number, raw, "missing field 'question'")
            continue
        yield RawQuery(
            row_number=number,
            source="healthsearchqa",
            source_id=str(record.get("id")),
            turns=[{"role": "user", "content": question}],
            raw=raw,
        )
