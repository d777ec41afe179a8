"""Import responses produced elsewhere (JSONL / CSV / Parquet), pure: no Dagster, no writes.

One row per response: ``query_id`` or the query text (``query`` / ``query_text`` /
``question``), the model name (``model`` / ``candidate_model``) and the response text
(``response`` / ``response_text``). Query text is validated, normalised and scrubbed of
personal data exactly as ingestion does, so it compares equal to the stored, scrubbed
``final_user_turn``. The response text (and the model name) are scrubbed too: a response is
model output graded against rubrics, but it can echo the user's email, phone or address, and
nothing unscrubbed is stored; its placeholders count in the import's PII counts. Rows are
matched to stored queries by id, else by text; rows given only as text that match nothing
are *pending*: their text is ingested as a new query and they match on a later run. Bad
rows become quarantine rows with a reason.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from quarkmed_dagster.ingest.batches import batch_id_for, file_sha256
from quarkmed_dagster.ingest.loaders.generic import file_rows
from quarkmed_dagster.ingest.normalize import query_id_of, validate_turns
from quarkmed_dagster.ingest.pii import scrub
from quarkmed_dagster.ingest.quarantine import quarantine_row
from quarkmed_dagster.ingest.records import Rejection
from quarkmed_dagster.ingest.schemas import QUARANTINE_SCHEMA
from quarkmed_dagster.responses.requests import response_id

STAGE = "imported_responses"  # quarantine.stage of rejected rows
STATUS = "imported"  # candidate_responses.status of imported rows
QUERY_TEXT_FIELDS = ("query", "query_text", "question")
MODEL_FIELDS = ("model", "candidate_model")
RESPONSE_FIELDS = ("response", "response_text")
BASELINE_PREFIX = "baseline/"
RESPONSE_SCHEMA = {
    "response_id": pl.String,
    "query_id": pl.String,
    "candidate_model": pl.String,
    "is_baseline": pl.Boolean,
    "response_text": pl.String,
    "status": pl.String,
    "call_key": pl.String,
}


@dataclass(frozen=True)
class ImportRow:
    source_file: str
    row_number: int
    model: str
    response: str
    query_id: str | None
    query_text: str | None  # validated, normalised and scrubbed like a stored query


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass
class QueryIndex:
    """Where an imported row's query is: by stored id, else by its text."""

    by_id: dict[str, str] = field(default_factory=dict)  # stored or dropped-duplicate id
    by_text: dict[str, str] = field(default_factory=dict)  # single-turn queries only

    @classmethod
    def from_keys(cls, keys: pl.DataFrame) -> QueryIndex:
        """``keys``: (kind, key, query_id) rows of sql/select_response_match_keys.sql."""
        index = cls()
        for kind, key, query_id in keys.select("kind", "key", "query_id").iter_rows():
            if kind == "text":
                index.by_text.setdefault(_norm(key), query_id)
            elif kind == "id" or key not in index.by_id:  # a stored id beats a duplicate
                index.by_id[key] = query_id
        return index

    def resolve(self, row: ImportRow) -> tuple[str | None, str | None]:
        """(query id, how it matched: 'id' | 'text') or (None, None)."""
        return self.find(row.query_id, row.query_text)

    def find(self, query_id: str | None, query_text: str | None) -> tuple[str | None, str | None]:
        """By a stored (or dropped-duplicate) id, else by the cleaned query text."""
        if query_id and query_id in self.by_id:
            return self.by_id[query_id], "id"
        if query_text:
            # the id ingestion gives this text (also finds it when dropped as a near-duplicate)
            as_ingested = self.by_id.get(query_id_of([{"role": "user", "content": query_text}]))
            found = as_ingested or self.by_text.get(_norm(query_text))
            if found:
                return found, "text"
        return None, None


@dataclass
class ImportResult:
    responses: pl.DataFrame  # candidate_responses rows
    quarantine: pl.DataFrame
    pending: list[ImportRow]  # text-only rows whose query is not stored yet
    matched_by: dict[str, int]
    rows_read: int
    pii_counts: dict[str, int]

    @property
    def pending_texts(self) -> list[str]:
        return sorted({row.query_text for row in self.pending if row.query_text})


def text_field(record: dict[str, Any], names: Iterable[str]) -> str | None:
    """The first non-blank value among ``names`` as text (numbers too: CSV/Parquet ids)."""
    for name in names:
        value = record.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip():
            return value
    return None


def model_name(record: dict[str, Any]) -> str:
    """A row's model name, stripped and scrubbed ("" when missing): as stored, and as its
    response id is derived from."""
    return scrub((text_field(record, MODEL_FIELDS) or "").strip())


def record_query(
    record: dict[str, Any], pii: Counter[str]
) -> tuple[str | None, str | None, str | None]:
    """(query_id, query text validated, normalised and scrubbed like ingestion, problem)."""
    query_id = (text_field(record, ("query_id",)) or "").strip() or None
    query_text = text_field(record, QUERY_TEXT_FIELDS)
    if query_text is None:
        return query_id, None, None
    turns, problem = validate_turns([{"role": "user", "content": query_text}])
    if problem:
        return query_id, None, f"query text rejected: {problem}"
    return query_id, scrub(turns[0]["content"], pii) if turns else None, None


def parse_record(
    source_file: str,
    number: int,
    record: dict[str, Any],
    reserved_models: frozenset[str],
    pii: Counter[str],
) -> ImportRow | str:
    """The row, or the reason it is rejected (every problem of the row, joined)."""
    problems = []
    model = model_name(record)
    if not model:
        problems.append("missing model name (field 'model' or 'candidate_model')")
    elif model.casefold().startswith(BASELINE_PREFIX):  # "Baseline/x" pretends too
        problems.append(
            f"model {model!r}: the {BASELINE_PREFIX!r} prefix is reserved for the offline "
            "baseline models; an imported response cannot claim to be a baseline"
        )
    elif model in reserved_models:
        problems.append(
            f"model {model!r} is a configured candidate: its responses are generated by "
            "candidate_responses; import them under another model name"
        )
    response = text_field(record, RESPONSE_FIELDS)
    if response is None:
        problems.append("missing response text (field 'response' or 'response_text')")
    query_id, query_text, problem = record_query(record, pii)
    if problem:
        problems.append(problem)
    elif query_id is None and query_text is None:
        problems.append("missing query: give 'query_id' or the query text (field 'query')")
    if problems:
        return "; ".join(problems)
    # A model's answer can echo the user's personal data: scrubbed like the query.
    text = scrub(response or "", pii)
    return ImportRow(source_file, number, model, text, query_id, query_text)


@dataclass
class _Accumulator:
    reserved_models: frozenset[str]
    responses: dict[str, dict] = field(default_factory=dict)  # by response_id
    first_at: dict[str, str] = field(default_factory=dict)  # response_id -> "file row n"
    quarantine: list[dict] = field(default_factory=list)
    pending: list[ImportRow] = field(default_factory=list)
    matched_by: Counter[str] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)
    rows_read: int = 0

    def read(self, path: Path, index: QueryIndex) -> None:
        batch_id = batch_id_for(path, file_sha256(path))
        for item in file_rows(path):
            self.rows_read += 1
            if isinstance(item, Rejection):
                self.reject(batch_id, path, item.row_number, item.raw, item.reason)
                continue
            number, record = item
            raw = json.dumps(record, ensure_ascii=False, default=str)
            row = parse_record(path.name, number, record, self.reserved_models, self.pii)
            reason = row if isinstance(row, str) else self.accept(row, index)
            if reason:
                self.reject(batch_id, path, number, raw, reason)

    def accept(self, row: ImportRow, index: QueryIndex) -> str | None:
        """Store a matched row or keep it pending; the rejection reason otherwise."""
        query_id, how = index.resolve(row)
        if query_id is None:
            if row.query_text is None:
                return f"unknown query_id {row.query_id!r} and no query text to match"
            self.pending.append(row)
            return None
        rid = response_id(query_id, row.model)
        if rid in self.responses:
            return (
                f"another response for query {query_id!r} and model {row.model!r} comes "
                f"first ({self.first_at[rid]}); that one is kept"
            )
        self.first_at[rid] = f"{row.source_file} row {row.row_number}"
        self.matched_by[how] += 1
        self.responses[rid] = {
            "response_id": rid,
            "query_id": query_id,
            "candidate_model": row.model,
            "is_baseline": False,
            "response_text": row.response,
            "status": STATUS,
            "call_key": None,
        }
        return None

    def reject(self, batch_id: str, path: Path, number: int, raw: str, reason: str) -> None:
        self.quarantine.append(
            quarantine_row(STAGE, batch_id, path.name, number, raw, reason, self.pii)
        )


def import_responses(
    paths: Iterable[Path], index: QueryIndex, reserved_models: Iterable[str] = ()
) -> ImportResult:
    """Validate and match every row of ``paths``, in order: the first response of a
    (query, model) pair wins, later ones are quarantined."""
    acc = _Accumulator(frozenset(reserved_models))
    for path in paths:
        acc.read(path, index)
    return ImportResult(
        responses=pl.DataFrame(list(acc.responses.values()), schema=RESPONSE_SCHEMA),
        quarantine=pl.DataFrame(acc.quarantine, schema=QUARANTINE_SCHEMA),
        pending=acc.pending,
        matched_by=dict(acc.matched_by),
        rows_read=acc.rows_read,
        pii_counts=dict(acc.pii),
    )
