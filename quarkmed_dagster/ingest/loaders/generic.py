"""The generic schema in JSONL, CSV or Parquet (see the package docstring)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from quarkmed_dagster.ingest.loaders.lines import RAW_KEEP, json_lines
from quarkmed_dagster.ingest.records import RawQuery, Rejection

TEXT_FIELDS = ("question", "query", "text", "prompt")


def first_record(path: Path) -> dict[str, Any] | None:
    for item in json_lines(path):
        if not isinstance(item, Rejection):
            return item[1]
    return None


def file_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]] | Rejection]:
    """(row number, record) of a JSONL / CSV / Parquet file, or a Rejection per bad row.

    Also reads imported response files (``quarkmed_dagster.responses.importing``)."""
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".json")):
        yield from json_lines(path)
        return
    try:
        if name.endswith(".csv"):
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
        elif name.endswith(".parquet"):
            frame = pl.read_parquet(path)
        else:
            yield Rejection(0, path.name, f"unsupported file type {path.suffix!r}")
            return
    except Exception as exc:  # an unreadable file is one rejection with the reader's reason
        yield Rejection(0, path.name, f"cannot read {path.name}: {type(exc).__name__}: {exc}")
        return
    yield from enumerate(frame.iter_rows(named=True), start=2 if name.endswith(".csv") else 1)


def record_to_query(number: int, record: dict[str, Any], source: str) -> RawQuery | Rejection:
    raw = json.dumps(record, ensure_ascii=False, default=str)[:RAW_KEEP]
    turns = record.get("turns")
    if isinstance(turns, str):
        try:
            turns = json.loads(turns)
        except json.JSONDecodeError as exc:
            return Rejection(number, raw, f"field 'turns' is not valid JSON: {exc.msg}")
    if turns is None:
        text = next((record[f] for f in TEXT_FIELDS if isinstance(record.get(f), str)), None)
        if text is None:
            return Rejection(
                number, raw, f"missing field: one of 'turns', {', '.join(TEXT_FIELDS)}"
            )
        turns = [{"role": "user", "content": text}]
    if not isinstance(turns, list):
        return Rejection(number, raw, "field 'turns' must be a list of {role, content}")
    answers = [("reference", record["reference_answer"])] if record.get("reference_answer") else []
    tags = record.get("tags") or []
    return RawQuery(
        row_number=number,
        source=record.get("source") or source,
        source_id=str(record["id"]) if record.get("id") is not None else None,
        turns=turns,
        raw=raw,
        reference_answers=answers,
        tags=list(tags) if isinstance(tags, list) else [str(tags)],
        department_hint=record.get("department"),
    )


def load(path: Path) -> Iterator[RawQuery | Rejection]:
    source = path.name.split(".")[0]
    for item in file_rows(path):
        yield item if isinstance(item, Rejection) else record_to_query(*item, source=source)
