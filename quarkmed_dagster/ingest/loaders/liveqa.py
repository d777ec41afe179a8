"""TREC-2017 LiveQA-Medical: consumer ``subject`` + ``message``; reference answers whose
text was kept upstream."""

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
        message = record.get("message")
        if not isinstance(message, str):
            yield Rejection(number, raw, "missing field 'message'")
            continue
        subject = record.get("subject") or ""
        text = f"{subject}: {message}" if subject and subject not in message else message
        answers = [
            ("nlm_reference", a["answer"])
            for a in record.get("reference_answers") or []
            if a.get("answer")
        ]
        yield RawQuery(
            row_number=number,
            source="liveqa2017",
            source_id=record.get("qid"),
            turns=[{"role": "user", "content": text}],
            raw=raw,
            reference_answers=answers,
        )
