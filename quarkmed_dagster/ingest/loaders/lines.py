"""Reading JSON Lines safely: one bad line is a rejection, never a crash.

Files are streamed line by line, and a line is never held longer than ``MAX_LINE_BYTES``
(the rest of an overlong line is skipped unread into memory), so memory stays bounded
whatever the file's size, a gzip bomb included.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from quarkmed_dagster.ingest.records import RawQuery, Rejection

MAX_LINE_BYTES = 2_000_000
_SKIP_CHUNK = 1 << 20


def _open_bytes(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def _bounded_lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line without its newline, longer than MAX_LINE_BYTES) per line; an
    overlong line is cut at MAX_LINE_BYTES + 1 bytes and its remainder skipped."""
    number = 0
    while chunk := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if chunk.endswith(b"\n"):
            yield number, chunk[:-1], False
            continue
        too_long = len(chunk) > MAX_LINE_BYTES
        while too_long and (rest := handle.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield number, chunk, too_long


def json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]] | Rejection]:
    """(line number, object) per line, or a Rejection saying what is wrong with it."""
    with _open_bytes(path) as handle:
        for number, line, too_long in _bounded_lines(handle):
            if not line.strip():
                continue
            if too_long:
                yield Rejection(number, _raw(line), f"line longer than {MAX_LINE_BYTES} bytes")
                continue
            yield _parse_line(number, line)


def _raw(line: bytes) -> str:
    """A rejected line as text, whole: quarantine scrubs it before cutting it short."""
    return line.decode("utf-8", errors="replace")


def _parse_line(number: int, line: bytes) -> tuple[int, dict[str, Any]] | Rejection:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(number, _raw(line), f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejection(number, text, f"malformed JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Rejection(number, text, "JSON nested too deeply to read")
    if not isinstance(value, dict):
        return Rejection(number, text, f"expected a JSON object, got {type(value).__name__}")
    return number, value


def json_records(
    path: Path, to_query: Callable[[int, dict[str, Any], str], RawQuery | Rejection]
) -> Iterator[RawQuery | Rejection]:
    """One shape's loader: each good line goes to ``to_query`` with its raw text."""
    for item in json_lines(path):
        if isinstance(item, Rejection):
            yield item
            continue
        number, record = item
        yield to_query(number, record, json.dumps(record, ensure_ascii=False))
