"""Records flowing through ingestion: raw queries from a loader, and rejections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReferenceCriterion:
    criterion: str
    points: float
    kind: str  # criterion | must_have | nice_to_have
    tags: list[str] = field(default_factory=list)


@dataclass
class RawQuery:
    """One query or session as a loader read it, before validation and scrubbing."""

    row_number: int
    source: str
    source_id: str | None
    turns: list[dict[str, Any]]
    raw: str
    reference_criteria: list[ReferenceCriterion] = field(default_factory=list)
    reference_answers: list[tuple[str, str]] = field(default_factory=list)  # (author, text)
    tags: list[str] = field(default_factory=list)
    department_hint: str | None = None


@dataclass
class Rejection:
    row_number: int
    raw: str
    reason: str
