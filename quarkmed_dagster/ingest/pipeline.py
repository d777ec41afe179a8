"""One file in, one batch of clean tables out; nothing silently dropped.

Order matters: turns are validated and scrubbed first, so every later step (ids,
duplicates, classification, quarantine) only ever sees scrubbed text; reference answers,
rubric criteria and the file's free-text labels (source, source id, department, tags) go
through the same scrubber (and counts) before they are stored. The kept
queries are classified together at the end (one batch for a model classifier's calls).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from quarkmed_dagster.ingest.classify import (
    QueryClassifier,
    QueryText,
    RuleClassifier,
    detect_language,
)
from quarkmed_dagster.ingest.dedup import (
    Deduplicator,
    KnownSignatures,
    KnownTexts,
    Signature,
    signature_of,
)
from quarkmed_dagster.ingest.loaders import LOADERS, detect_loader
from quarkmed_dagster.ingest.normalize import query_id_of, validate_turns
from quarkmed_dagster.ingest.pii import scrub
from quarkmed_dagster.ingest.quarantine import quarantine_row
from quarkmed_dagster.ingest.records import RawQuery, Rejection
from quarkmed_dagster.ingest.schemas import (
    DUPLICATE_SCHEMA,
    QUARANTINE_SCHEMA,
    QUERY_SCHEMA,
    REFERENCE_ANSWER_SCHEMA,
    REFERENCE_RUBRIC_SCHEMA,
)
from quarkmed_dagster.llm.types import stable_hash


@dataclass
class IngestResult:
    batch_id: str
    queries: pl.DataFrame
    reference_rubrics: pl.DataFrame
    reference_answers: pl.DataFrame
    duplicates: pl.DataFrame
    quarantine: pl.DataFrame
    pii_counts: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0
    # Valid rows left out by ``max_queries`` (a deliberate subset, e.g. for a tiny model).
    beyond_limit: int = 0
    signatures: list[Signature] = field(default_factory=list)  # of the kept queries

    @property
    def quarantine_rate(self) -> float:
        return self.quarantine.height / self.rows_read if self.rows_read else 0.0


@dataclass
class _Accumulator:
    batch_id: str
    source_file: str
    queries: list[dict] = field(default_factory=list)
    to_classify: list[QueryText] = field(default_factory=list)  # one per kept query
    rubrics: list[dict] = field(default_factory=list)
    answers: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    pii: Counter[str] = field(default_factory=Counter)

    def reject(self, row_number: int, raw: str, reason: str) -> None:
        self.quarantine.append(
            quarantine_row(
                "ingest", self.batch_id, self.source_file, row_number, raw, reason, self.pii
            )
        )


def ingest_file(
    path: Path,
    batch_id: str,
    loader_name: str | None = None,
    known_queries: list[tuple[str, str]] | None = None,
    classifier: QueryClassifier | None = None,
    near_duplicate_threshold: float = 0.85,
    max_queries: int | None = None,
    known: KnownSignatures | None = None,
) -> IngestResult:
    """Read, validate, scrub, classify and deduplicate one file (pure: no I/O but reading
    the file and asking ``known``).

    Queries stored by earlier batches: ``known`` (their stored signatures), or
    ``known_queries`` ((query_id, text) pairs, hashed here).
    ``max_queries``: keep only the file's first n valid queries; the rest are counted
    (``beyond_limit``), neither stored nor quarantined (they are not rejected).
    """
    loader = LOADERS[loader_name or detect_loader(path)]
    classifier = classifier or RuleClassifier()
    if known is None:
        known = KnownTexts(known_queries or [])
    acc = _Accumulator(batch_id, path.name)
    seen_source_ids: dict[str, tuple[int, str]] = {}
    rows_read = beyond_limit = 0
    now = datetime.now(UTC).replace(tzinfo=None)
    valid: list[tuple[RawQuery, list[dict[str, str]], Signature]] = []
    for item in loader(path):
        rows_read += 1
        if isinstance(item, Rejection):
            acc.reject(item.row_number, item.raw, item.reason)
            continue
        turns = _validated(item, acc, seen_source_ids)
        if turns is not None:
            full_text = "\n".join(t["content"] for t in turns)
            valid.append((item, turns, signature_of(query_id_of(turns), full_text)))
    # Only the stored queries that can match a row of this file are loaded and indexed.
    dedup = Deduplicator(near_duplicate_threshold)
    for signature in known.matching([s for _, _, s in valid], near_duplicate_threshold):
        dedup.add_known_signature(signature)
    kept: list[Signature] = []
    for item, turns, signature in valid:
        if max_queries is not None and len(acc.queries) >= max_queries:
            beyond_limit += 1
            continue
        if _accept(item, turns, signature, acc, dedup, now):
            kept.append(signature)
    _label(acc, classifier)
    return IngestResult(
        batch_id=batch_id,
        queries=pl.DataFrame(acc.queries, schema=QUERY_SCHEMA),
        reference_rubrics=pl.DataFrame(acc.rubrics, schema=REFERENCE_RUBRIC_SCHEMA),
        reference_answers=pl.DataFrame(acc.answers, schema=REFERENCE_ANSWER_SCHEMA),
        duplicates=pl.DataFrame(acc.duplicates, schema=DUPLICATE_SCHEMA),
        quarantine=pl.DataFrame(acc.quarantine, schema=QUARANTINE_SCHEMA),
        pii_counts=dict(acc.pii),
        rows_read=rows_read,
        beyond_limit=beyond_limit,
        signatures=kept,
    )


def _label(acc: _Accumulator, classifier: QueryClassifier) -> None:
    """Category, difficulty, department and the deciding classifier of every kept query."""
    labels = classifier.classify_batch(acc.to_classify) if acc.to_classify else []
    for row, label in zip(acc.queries, labels, strict=True):
        row["category"] = label.category
        row["category_classifier"] = label.classifier
        row["category_confidence"] = label.confidence
        row["department"] = row["department"] or label.department
        row["difficulty"] = label.difficulty


def _validated(
    item: RawQuery, acc: _Accumulator, seen_source_ids: dict[str, tuple[int, str]]
) -> list[dict[str, str]] | None:
    """The row's scrubbed turns, or None when it is rejected (quarantined)."""
    turns, problem = validate_turns(item.turns)
    if problem:
        acc.reject(item.row_number, item.raw, problem)
        return None
    turns = [{"role": t["role"], "content": scrub(t["content"], acc.pii)} for t in turns]
    query_id = query_id_of(turns)
    if item.source_id is not None:
        first = seen_source_ids.get(item.source_id)
        if first is not None and first[1] != query_id:
            acc.reject(
                item.row_number,
                item.raw,
                f"duplicate id {item.source_id!r} (first used on row {first[0]} with "
                "different content)",
            )
            return None
        seen_source_ids.setdefault(item.source_id, (item.row_number, query_id))
    return turns


def _accept(
    item: RawQuery,
    turns: list[dict[str, str]],
    signature: Signature,
    acc: _Accumulator,
    dedup: Deduplicator,
    now: datetime,
) -> bool:
    """Keep the row unless it duplicates one kept or stored before it; True if kept."""
    query_id = signature.query_id
    match = dedup.check_signature(signature)
    if match is not None:
        acc.duplicates.append(
            {
                "dropped_query_id": match.dropped_id,
                "surviving_query_id": match.surviving_id,
                "method": match.method,
                "similarity": match.similarity,
                "batch_id": acc.batch_id,
                "source_file": acc.source_file,
                "row_number": item.row_number,
            }
        )
        return False
    dialogue = [t for t in turns if t["role"] != "system"]
    final_user_turn = dialogue[-1]["content"]  # validate_turns: the dialogue ends with the user
    acc.to_classify.append(QueryText(final_user_turn, tuple(dialogue[:-1])))
    # The file's own labels are free text too: stored only scrubbed (ids were compared raw,
    # in memory, above).
    source, source_id = scrub(item.source, acc.pii), _scrub_optional(item.source_id, acc.pii)
    acc.queries.append(
        {
            "query_id": query_id,
            "batch_id": acc.batch_id,
            "session_id": f"{source}:{source_id}" if source_id else query_id,
            "turns": json.dumps(turns, ensure_ascii=False),
            "n_turns": len(dialogue),
            "is_multi_turn": len(dialogue) > 1,
            "final_user_turn": final_user_turn,
            "language": detect_language(final_user_turn),
            "source": source,
            "source_id": source_id,
            "source_file": acc.source_file,
            "department": _scrub_optional(item.department_hint, acc.pii),  # else: _label
            "tags": _scrubbed_tags(item.tags, acc.pii),
            "ingested_at": now,
        }
    )
    for criterion in item.reference_criteria:
        text = scrub(criterion.criterion, acc.pii)
        acc.rubrics.append(
            {
                "reference_item_id": stable_hash([query_id, criterion.kind, text]),
                "query_id": query_id,
                "source": source,
                "criterion": text,
                "points": criterion.points,
                "kind": criterion.kind,
                "tags": _scrubbed_tags(criterion.tags, acc.pii),
                "batch_id": acc.batch_id,
            }
        )
    for author, answer in item.reference_answers:
        text = scrub(answer, acc.pii)
        acc.answers.append(
            {
                "reference_answer_id": stable_hash([query_id, author, text]),
                "query_id": query_id,
                "source": source,
                "author": author,
                "answer_text": text,
                "batch_id": acc.batch_id,
            }
        )
    return True


def _scrub_optional(value: object, pii: Counter[str]) -> str | None:
    return None if value is None else scrub(str(value), pii)


def _scrubbed_tags(tags: list, pii: Counter[str]) -> str:
    """A file's tags as stored: a JSON list of scrubbed strings (whatever their type was)."""
    texts = [t if isinstance(t, str) else json.dumps(t, ensure_ascii=False) for t in tags]
    return json.dumps([scrub(t, pii) for t in texts])
