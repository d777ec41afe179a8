"""Import online user feedback (JSONL / CSV / Parquet) for ``user_feedback``: pure, no writes.

One row per feedback event. It names its response by ``response_id``, or by the model
(``model`` / ``candidate_model``) and the query (``query_id``, or its text in ``query`` /
``query_text`` / ``question``, matched like imported responses), and gives at least one
signal:

- ``rating``: a number from 1 to 5;
- ``thumbs``: up / down (``up``, ``down``, ``+1``, ``-1``, ``1``);
- ``complaint``: true / false (also yes / no, 1 / 0); ``complaint_text`` (scrubbed of
  personal data) alone means a complaint.

Optional: ``source`` (the channel, scrubbed; default the file's name up to its first dot),
``feedback_id`` / ``id`` (the channel's event id), ``created_at`` (tells identical events
apart). Bad rows, rows whose response is not (yet) stored and repeated events become
quarantine rows with a reason; nothing is dropped silently.

Identity (``feedback_id``, a content hash): with an event id, hash(source, event id); else
hash(response, signals, text, source, created_at, n) where n counts identical rows before
it in the same file. Re-reading a file, or the same events in an overlapping export,
yields the same ids; identical rows within one file stay separate events.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from quarkmed_dagster.ingest.batches import batch_id_for, file_sha256
from quarkmed_dagster.ingest.loaders.generic import file_rows
from quarkmed_dagster.ingest.pii import scrub
from quarkmed_dagster.ingest.quarantine import quarantine_row
from quarkmed_dagster.ingest.records import Rejection
from quarkmed_dagster.ingest.schemas import QUARANTINE_SCHEMA
from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.responses.importing import QueryIndex, model_name, record_query, text_field
from quarkmed_dagster.responses.requests import response_id

STAGE = "user_feedback"  # quarantine.stage of rejected rows
EVENT_ID_FIELDS = ("feedback_id", "id")
TRUE_WORDS = {"true", "yes", "y", "1", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "f"}
THUMBS_WORDS = {"up": 1, "+1": 1, "1": 1, "down": -1, "-1": -1}
FEEDBACK_SCHEMA = {
    "feedback_id": pl.String,
    "response_id": pl.String,
    "query_id": pl.String,
    "rating": pl.Float64,
    "thumbs": pl.Int32,
    "complaint": pl.Boolean,
    "complaint_text": pl.String,
    "source": pl.String,
    "source_file": pl.String,
}


def _absent(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def parse_rating(value: Any) -> tuple[float | None, str | None]:
    if _absent(value):
        return None, None
    try:
        rating = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        rating = math.nan
    if not 1.0 <= rating <= 5.0:  # NaN fails too
        return None, f"rating {value!r} is not a number from 1 to 5"
    return rating, None


def parse_thumbs(value: Any) -> tuple[int | None, str | None]:
    if _absent(value):
        return None, None
    if isinstance(value, bool):
        word = None
    elif isinstance(value, int | float):
        word = {1.0: "up", -1.0: "down"}.get(float(value))
    else:
        word = str(value).strip().lower()
    if word not in THUMBS_WORDS:
        return None, f"thumbs {value!r} is not up / down (+1 / -1)"
    return THUMBS_WORDS[word], None


def parse_complaint(value: Any, text: str | None) -> tuple[bool | None, str | None]:
    if _absent(value):
        return (True if text else None), None
    word = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
        word = str(int(value))
    if word in TRUE_WORDS:
        return True, None
    if word in FALSE_WORDS:
        if text:
            return None, "complaint is false but complaint_text is given"
        return False, None
    return None, f"complaint {value!r} is not true / false"


@dataclass
class ResponseIndex:
    """Stored responses feedback can be linked to, and where their queries are."""

    queries: QueryIndex
    query_of: dict[str, str] = field(default_factory=dict)  # response_id -> query_id

    @classmethod
    def from_frames(cls, match_keys: pl.DataFrame, responses: pl.DataFrame) -> ResponseIndex:
        """``match_keys``: sql/select_response_match_keys.sql; ``responses``:
        sql/select_feedback_response_keys.sql."""
        query_of = dict(responses.select("response_id", "query_id").iter_rows())
        return cls(QueryIndex.from_keys(match_keys), query_of)

    def link(self, record: dict[str, Any], pii: Counter[str]) -> tuple[str, str] | str:
        """(response_id, how: 'response_id' | 'query_id' | 'query_text') or the reason."""
        given = text_field(record, ("response_id",))
        model = model_name(record)
        query_id, query_text, problem = record_query(record, pii)
        if problem:
            return problem
        derived, how = None, "response_id"
        if model and (query_id or query_text):
            found, matched = self.queries.find(query_id, query_text)
            if found is None:
                return f"no stored query with id {query_id!r} or this text (model {model!r})"
            derived, how = response_id(found, model), f"query_{matched}"  # query_id / _text
        if given is not None:
            given = given.strip()
            if derived is not None and derived != given:
                return f"response_id {given!r} is not the response of {model!r} to that query"
            derived, how = given, "response_id"
        if derived is None:
            return (
                "missing link: give 'response_id', or the model ('model' / 'candidate_model') "
                "and the query ('query_id' or its text 'query')"
            )
        if derived not in self.query_of:
            return (
                f"response {derived!r} is not stored (yet): import or generate it first; the "
                "row is read again on every run"
            )
        return derived, how


@dataclass
class FeedbackImport:
    rows: pl.DataFrame  # user_feedback rows (FEEDBACK_SCHEMA)
    quarantine: pl.DataFrame
    linked_by: dict[str, int]
    rows_read: int
    pii_counts: dict[str, int]


@dataclass
class _Accumulator:
    index: ResponseIndex
    rows: dict[str, dict] = field(default_factory=dict)  # by feedback_id
    first_at: dict[str, str] = field(default_factory=dict)  # feedback_id -> "file row n"
    quarantine: list[dict] = field(default_factory=list)
    linked_by: Counter[str] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)
    rows_read: int = 0

    def read(self, path: Path) -> None:
        batch_id = batch_id_for(path, file_sha256(path))
        seen: Counter[str] = Counter()  # identical content earlier in this file
        for item in file_rows(path):
            self.rows_read += 1
            if isinstance(item, Rejection):
                self.reject(batch_id, path, item.row_number, item.raw, item.reason)
                continue
            number, record = item
            raw = json.dumps(record, ensure_ascii=False, default=str)
            row = self.parse(record, path)
            reason = row if isinstance(row, str) else self.accept(row, path, number, seen)
            if reason:
                self.reject(batch_id, path, number, raw, reason)

    def parse(self, record: dict[str, Any], path: Path) -> dict | str:
        """The user_feedback row (without its id), or every problem of the row."""
        problems = []
        text = text_field(record, ("complaint_text",))
        text = scrub(text.strip(), self.pii) if text else None
        rating, p1 = parse_rating(record.get("rating"))
        thumbs, p2 = parse_thumbs(record.get("thumbs"))
        complaint, p3 = parse_complaint(record.get("complaint"), text)
        problems += [p for p in (p1, p2, p3) if p]
        if not problems and rating is None and thumbs is None and complaint is None:
            problems.append("no feedback signal: give rating, thumbs, complaint or complaint_text")
        link = self.index.link(record, self.pii)
        if isinstance(link, str):
            problems.append(link)
        if problems:
            return "; ".join(problems)
        assert not isinstance(link, str)
        rid, how = link
        return {
            "response_id": rid,
            "query_id": self.index.query_of[rid],
            "rating": rating,
            "thumbs": thumbs,
            "complaint": complaint,
            "complaint_text": text,
            "source": scrub(
                (text_field(record, ("source",)) or path.name.split(".")[0]).strip(), self.pii
            ),
            "source_file": path.name,
            "_event": text_field(record, EVENT_ID_FIELDS),
            "_created": text_field(record, ("created_at",)),
            "_how": how,
        }

    def accept(self, row: dict, path: Path, number: int, seen: Counter[str]) -> str | None:
        event, created, how = row.pop("_event"), row.pop("_created"), row.pop("_how")
        content_key = stable_hash([*_content(row), created])
        if event is not None:
            fid = stable_hash([STAGE, row["source"], event.strip()])
        else:
            fid = stable_hash([STAGE, content_key, seen[content_key]])
        seen[content_key] += 1
        where = f"{path.name} row {number}"
        if fid in self.rows:
            same = _content(self.rows[fid]) == _content(row)
            what = "the same feedback event" if same else "another version of this event"
            return f"{what} (id {event or fid!r}) comes first at {self.first_at[fid]}; kept there"
        self.rows[fid] = {"feedback_id": fid, **row}
        self.first_at[fid] = where
        self.linked_by[how] += 1
        return None

    def reject(self, batch_id: str, path: Path, number: int, raw: str, reason: str) -> None:
        self.quarantine.append(
            quarantine_row(STAGE, batch_id, path.name, number, raw, reason, self.pii)
        )


def _content(row: dict) -> list:
    """What a feedback event says (not where it was read)."""
    return [row[k] for k in FEEDBACK_SCHEMA if k not in ("feedback_id", "source_file")]


def import_feedback(paths: Iterable[Path], index: ResponseIndex) -> FeedbackImport:
    """Validate, link and identify every row of ``paths`` in order (first event wins)."""
    acc = _Accumulator(index)
    for path in paths:
        acc.read(path)
    return FeedbackImport(
        rows=pl.DataFrame(list(acc.rows.values()), schema=FEEDBACK_SCHEMA),
        quarantine=pl.DataFrame(acc.quarantine, schema=QUARANTINE_SCHEMA),
        linked_by=dict(acc.linked_by),
        rows_read=acc.rows_read,
        pii_counts=dict(acc.pii),
    )
