"""The generic schema in JSONL, CSV or Parquet (see the package docstring)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from quarkmed_dagster.ingest.loaders.lines import json_lines
from quarkmed_dagster.ingest.records import RawQuery, Rejection

TEXT_FIELDS = ("question", "query", "text", "prompt")
_LOST = "\ufffd"  # what a lossy UTF-8 read puts in place of undecodable bytes


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
    lossy = False
    try:
        if name.endswith(".csv"):
            data = path.read_bytes()
            lossy = not _is_utf8(data)  # then only the rows with bad bytes are rejected
            frame = pl.read_csv(data, infer_schema=False, encoding="utf8-lossy")
        elif name.endswith(".parquet"):
            frame = pl.read_parquet(path)
        else:
            yield Rejection(0, path.name, f"unsupported file type {path.suffix!r}")
            return
    except Exception as exc:  # an unreadable file is one rejection with the reader's reason
        yield Rejection(0, path.name, f"cannot read {path.name}: {type(exc).__name__}: {exc}")
        return
    rows = enumerate(frame.iter_rows(named=True), start=2 if name.endswith(".csv") else 1)
    if not lossy:
        yield from rows
        return
    for number, row in rows:
        damaged = [c for c, v in row.items() if isinstance(v, str) and _LOST in v]
        if damaged:
            yield Rejection(
                number,
                json.dumps(row, ensure_ascii=False),
                f"not valid UTF-8: undecodable bytes in column {', '.join(map(repr, damaged))} "
                "(save the file as UTF-8)",
            )
        else:
            yield number, row


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def record_to_query(number: int, record: dict[str, Any], source: str) -> RawQuery | Rejection:
    raw = json.dumps(record, ensure_ascii=False, default=str)
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
