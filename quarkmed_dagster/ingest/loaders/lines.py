"""Reading JSON Lines safely: one bad line is a rejection, never a crash."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from quarkmed_dagster.ingest.records import RawQuery, Rejection

MAX_LINE_BYTES = 2_000_000
RAW_KEEP = 2000  # characters of a rejected row kept in quarantine


def _open_bytes(path: Path) -> bytes:
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as handle:
            return handle.read()
    return path.read_bytes()


def json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]] | Rejection]:
    """(line number, object) per line, or a Rejection saying what is wrong with it."""
    data = _open_bytes(path)
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        preview = line[:RAW_KEEP].decode("utf-8", errors="replace")
        if len(line) > MAX_LINE_BYTES:
            yield Rejection(number, preview, f"line longer than {MAX_LINE_BYTES} bytes")
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Rejection(number, preview, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Rejection(number, preview, f"malformed JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(value, dict):
            yield Rejection(number, preview, f"expected a JSON object, got {type(value).__name__}")
            continue
        yield number, value


def json_records(
    path: Path, to_query: Callable[[int, dict[str, Any], str], RawQuery | Rejection]
) -> Iterator[RawQuery | Rejection]:
    """One shape's loader: each good line goes to ``to_query`` with its shortened raw text."""
    for item in json_lines(path):
        if isinstance(item, Rejection):
            yield item
            continue
        number, record = item
        yield to_query(number, record, json.dumps(record, ensure_ascii=False)[:RAW_KEEP])
