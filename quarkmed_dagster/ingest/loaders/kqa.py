"""K-QA JSONL: ``Question``; with answers, ``Free_form_answer`` (physician answer) and the
``Must_have`` / ``Nice_to_have`` statements (reference points)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from quarkmed_dagster.ingest.loaders.lines import RAW_KEEP, json_lines
from quarkmed_dagster.ingest.records import RawQuery, ReferenceCriterion, Rejection


def load(path: Path) -> Iterator[RawQuery | Rejection]:
    for item in json_lines(path):
        if isinstance(item, Rejection):
            yield item
            continue
        number, record = item
        raw = json.dumps(record, ensure_ascii=False)[:RAW_KEEP]
        question = record.get("Question")
        if not isinstance(question, str):
            yield Rejection(number, raw, "missing field 'Question'")
            continue
        criteria = [
            ReferenceCriterion(str(s), 1.0, kind)
            for field, kind in (("Must_have", "must_have"), ("Nice_to_have", "nice_to_have"))
            for s in record.get(field) or []
            if s
        ]
        answer = record.get("Free_form_answer")
        yield RawQuery(
            row_number=number,
            source="kqa",
            source_id=f"kqa-{number}",
            turns=[{"role": "user", "content": question}],
            raw=raw,
            reference_criteria=criteria,
            reference_answers=[("physician", answer)] if answer else [],
            department_hint=record.get("ICD_10_diag"),
        )
